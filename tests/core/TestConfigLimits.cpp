// ctest-labels: fast
// Bounded configuration (docs/reliability.md): values far outside any sane
// range and repeated sections or keys are errors naming the key and line,
// not an allocator failure inside the trainer or a silently ignored section.
#include "core/Error.h"
#include "core/training/TrainConfig.h"

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
    }
    void upperBounds()
    {
        QFETCH(QString, assignment);
        QFETCH(QString, key);
        const QString err = errorOf([&] { TrainConfig::fromOverrides({assignment.toStdString()}); });
        QVERIFY2(err.contains(key), qPrintable("no error naming " + key + ": '" + err + "'"));
        // The bound is not in the way of ordinary values.
        QVERIFY(errorOf([] { TrainConfig::fromOverrides({"model.importance_hidden_dim=1024", "training.batch_size=256"}); })
                    .isEmpty());
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
};

QTEST_GUILESS_MAIN(TestConfigLimits)
#include "TestConfigLimits.moc"
