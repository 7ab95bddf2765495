// ctest-labels: fast gui
// One training-config key table: every key of core::TrainConfig
// (core/training/TrainConfigKeys.h) has a field in the GUI's form, or is in
// the short list below of keys left to the YAML pane on purpose. A key added
// to core without either fails here.
#include "core/training/TrainConfigKeys.h"
#include "ui/training/TrainConfigForm.h"

#include <QtTest>

#include <algorithm>
#include <set>

using namespace spooflens::ui;

namespace {

// Keys the form leaves to the YAML pane, and why.
const std::set<std::string> kNotInForm = {
    "model.name", "data.name",                      // labels of the seed's file; training ignores them
    "model.emb_size", "model.num_encoders", "model.heads", "model.kernel_size",
    "model.num_classes",                            // detector shape: read from the checkpoint, checked against it
    "model.dropout", "training.seed", "training.threads",
    "training.collapse_mean_threshold", "training.collapse_spread_threshold",
    "training.collapse_saturation_threshold",       // expert settings with safe defaults
    "cache.dtype",                                  // storage detail of the feature cache
};

} // namespace

class TestConfigKeys : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void everyCoreKeyInTheFormOrExcluded()
    {
        const std::vector<std::string> keys = spooflens::core::trainConfigKeys();
        QVERIFY(keys.size() > kNotInForm.size());
        TrainConfigForm form;
        QStringList missing;
        for (const std::string& k : keys) {
            const QString key = QString::fromStdString(k);
            const bool inForm = form.setField(key, form.field(key));
            if (kNotInForm.count(k)) {
                if (inForm)
                    QFAIL(qPrintable("excluded key has a field now; drop it from kNotInForm: " + key));
            } else if (!inForm) {
                missing << key;
            }
        }
        if (!missing.isEmpty())
            QFAIL(qPrintable("core keys with no field in TrainConfigForm: " + missing.join(", ")));
        // The exclusions name real keys (no stale entries).
        for (const std::string& k : kNotInForm)
            QVERIFY2(std::find(keys.begin(), keys.end(), k) != keys.end(), k.c_str());
    }
};

QTEST_MAIN(TestConfigKeys)
#include "TestConfigKeys.moc"
