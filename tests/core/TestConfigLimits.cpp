// ctest-labels: fast
// Bounded configuration (docs/reliability.md): values far outside any sane
// range and repeated sections or keys are errors naming the key and line,
// not an allocator failure inside the trainer or a silently ignored section.
#include "core/Error.h"
#include "core/training/TrainConfig.h"
#include "core/util/Threads.h"

#include <QtTest>

using namespace spooflens::core;

class TestConfigLimits : public QObject {
    Q_OBJECT

    static QString errorOf(const std::function<void()>& f)
    {
        try {
            f();
        } catch (const ConfigError& e) {
            return QString::fromStdString(e.what());
        }
        return QString();
    }

private slots:
    void upperBounds_data()
    {
        QTest::addColumn<QString>("assignment");
        QTest::addColumn<QString>("key");
        QTest::newRow("hidden") << "model.importance_hidden_dim=100000000" << "model.importance_hidden_dim";
        QTest::newRow("batch") << "training.batch_size=1000000000" << "training.batch_size";
        QTest::newRow("epochs") << "training.num_epochs=99999999999" << "training.num_epochs";
        QTest::newRow("threads") << "training.threads=100000" << "training.threads";
        QTest::newRow("lr-inf") << "training.learning_rate=.inf" << "training.learning_rate";
        QTest::newRow("lr-nan") << "training.learning_rate=.nan" << "training.learning_rate";
        QTest::newRow("tau-nan") << "model.temperature=.nan" << "model.temperature";
        QTest::newRow("lambda-inf") << "model.lambda_sparsity=.inf" << "model.lambda_sparsity";
        // Passed validation before (issue 27): 65536 ends in a raw allocator error,
        // a NaN or negative collapse threshold never (or always) flags a collapse,
        // 257 threads is past the process limit.
        QTest::newRow("hidden 65536") << "model.importance_hidden_dim=65536" << "model.importance_hidden_dim must be in 2 .. 8192, got 65536";
        QTest::newRow("threads 257") << "training.threads=257" << "training.threads must be in 0 (all cores) .. 256, got 257";
        QTest::newRow("collapse mean nan") << "training.collapse_mean_threshold=.nan" << "training.collapse_mean_threshold";
        QTest::newRow("collapse mean negative") << "training.collapse_mean_threshold=-0.1" << "training.collapse_mean_threshold must be a number in [0, 1), got -0.1";
        QTest::newRow("collapse spread nan") << "training.collapse_spread_threshold=.nan" << "training.collapse_spread_threshold";
        QTest::newRow("collapse spread negative") << "training.collapse_spread_threshold=-1" << "training.collapse_spread_threshold";
        QTest::newRow("train subset = val subset") << "data.val_subset=train" << "data.train_subset and data.val_subset are both 'train'";
    }
    void upperBounds()
    {
        QFETCH(QString, assignment);
        QFETCH(QString, key);
        const QString err = errorOf([&] { TrainConfig::fromOverrides({assignment.toStdString()}); });
        QVERIFY2(err.contains(key), qPrintable("no error naming " + key + ": '" + err + "'"));
        // The bound is not in the way of ordinary values.
        QVERIFY(errorOf([] {
                    TrainConfig::fromOverrides({"model.importance_hidden_dim=8192", "training.batch_size=256",
                                                "training.threads=256", "training.collapse_mean_threshold=0",
                                                "training.collapse_spread_threshold=0.5"});
                }).isEmpty());
    }

    void repeatedSectionOrKey()
    {
        const QString sec = errorOf([] {
            TrainConfig::parse("training:\n  batch_size: 8\nmodel:\n  temperature: 0.1\ntraining:\n  num_epochs: 3\n",
                               "cfg.yaml");
        });
        QVERIFY2(sec.contains("cfg.yaml:5") && sec.contains("'training'") && sec.contains("twice"), qPrintable(sec));
        const QString key = errorOf([] {
            TrainConfig::parse("training:\n  batch_size: 8\n  batch_size: 16\n", "cfg.yaml");
        });
        QVERIFY2(key.contains("cfg.yaml:3") && key.contains("training.batch_size") && key.contains("twice"),
                 qPrintable(key));
        QVERIFY(errorOf([] { TrainConfig::parse("training:\n  batch_size: 8\nmodel:\n  temperature: 0.1\n", "ok.yaml"); })
                    .isEmpty());
    }

    void computeThreadsAreBounded()
    {
        // The one owner of the bound: the CLI's --threads, training.threads and the viewer all end here.
        const QString err = errorOf([] { configureComputeThreads(100000); });
        QVERIFY2(err.contains("100000 is more than the limit of 256"), qPrintable(err));
    }

    void nonScalarKeys()
    {
        // A YAML sequence or mapping as a key used to give yaml-cpp's "bad conversion", naming no file.
        const QString section = errorOf([] { TrainConfig::parse("training:\n  batch_size: 8\n[a, b]: 1\n", "cfg.yaml"); });
        QVERIFY2(section.contains("cfg.yaml:3") && section.contains("a key is a sequence, not a name"), qPrintable(section));
        const QString key = errorOf([] { TrainConfig::parse("training:\n  ? {x: 1}\n  : 3\n", "cfg.yaml"); });
        QVERIFY2(key.contains("cfg.yaml:2") && key.contains("a key of section 'training' is a mapping"), qPrintable(key));
    }

    void deepYamlIsNamed()
    {
        // Nesting past yaml-cpp's depth guard gave "YAML syntax error: bad file".
        const std::string deep = "model:\n  x: " + std::string(3000, '[') + std::string(3000, ']') + "\n";
        const QString e = errorOf([&] { TrainConfig::parse(deep, "deep.yaml"); });
        QVERIFY2(e.contains("deep.yaml:") && e.contains("nested deeper") && !e.contains("bad file"), qPrintable(e));
    }
};

QTEST_GUILESS_MAIN(TestConfigLimits)
#include "TestConfigLimits.moc"
