// MainWindow: corpus navigation (issue 26): the Corpus dock, opening a
// protocol / folder / evaluate folder, next and previous file, and the values
// of each file analysed here written back into the list.
#include "ui/MainWindow.h"

#include "core/Error.h"
#include "core/explain/ExplanationIO.h"
#include "core/explain/Metrics.h"
#include "ui/Document.h"
#include "ui/analysis/AnalysisController.h"
#include "ui/corpus/CorpusPanel.h"

#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QTableView>

#include <algorithm>

namespace spooflens::ui {

void MainWindow::buildCorpusDock()
{
    m_corpus = new CorpusPanel(this);
    m_corpusDock = new QDockWidget(QStringLiteral("Corpus"), this);
    m_corpusDock->setObjectName(QStringLiteral("corpusDock"));
    m_corpusDock->setWidget(m_corpus);
    addDockWidget(Qt::LeftDockWidgetArea, m_corpusDock);
    m_corpusDock->setVisible(false);
    connect(m_corpus, &CorpusPanel::openRequested, this, [this](const QString& path) { openAudio(path); });
    connect(m_doc, &Document::audioChanged, this, [this] { m_corpus->setCurrentPath(m_doc->audioPath()); });
    connect(m_doc, &Document::explanationChanged, this, &MainWindow::updateCorpusEntry);
    connect(m_doc, &Document::groundTruthChanged, this, &MainWindow::updateCorpusEntry);
    // Values computed with other models would sit beside the new ones unmarked.
    connect(m_analysis, &AnalysisController::modelsChanged, m_corpus, [this] { m_corpus->clearLiveValues(); });
}

QString MainWindow::openCorpus(const QString& path)
{
    core::Corpus c;
    try {
        c = core::readCorpus(path.toStdString());
    } catch (const std::exception& e) {
        const QString msg = QStringLiteral("Cannot open the corpus: %1").arg(QString::fromUtf8(e.what()));
        showError(msg);
        return msg;
    }
    m_corpus->setCorpus(std::move(c));
    m_corpus->setCurrentPath(m_doc->audioPath());
    updateCorpusEntry();
    m_corpusDock->setVisible(true);
    if (m_corpusDock->width() < 300)
        resizeDocks({m_corpusDock}, {std::clamp(width() / 3, 300, 560)}, Qt::Horizontal);
    return {};
}

void MainWindow::openCorpusDialog(bool folder)
{
    const QString path =
        folder ? QFileDialog::getExistingDirectory(this, QStringLiteral("Open corpus: a folder of audio files or an evaluate folder"),
                                                   MainWindow::lastDir())
               : QFileDialog::getOpenFileName(this, QStringLiteral("Open corpus: a protocol"), MainWindow::lastDir(),
                                              QStringLiteral("Protocols (*.txt *.csv *.lst *.trl);;All files (*)"));
    if (path.isEmpty())
        return;
    MainWindow::setLastDir(folder ? QDir(path).filePath(QStringLiteral(".")) : path);
    openCorpus(path);
}

bool MainWindow::openNextFile(int delta)
{
    const QString path = m_corpus->step(delta);
    if (path.isEmpty()) {
        if (m_corpus->hasCorpus())
            m_statusStage->setText(delta > 0 ? QStringLiteral("Last file of the corpus") : QStringLiteral("First file of the corpus"));
        return false;
    }
    openAudio(path);
    return true;
}

void MainWindow::updateCorpusEntry()
{
    if (!m_corpus->hasCorpus())
        return;
    const core::Explanation* e = m_doc->explanation();
    if (!e || e->path.empty())
        return;
    std::vector<uint8_t> spoof;
    if (const GroundTruthView* g = m_doc->groundTruth(); g && g->grid == e->grid && int64_t(g->frameLabels.size()) == e->frames)
        spoof.assign(g->frameLabels.begin(), g->frameLabels.end());
    auto auc = [&spoof](const std::vector<float>& v) {
        if (spoof.empty() || v.size() != spoof.size())
            return core::kNaN;
        return core::rocAuc(std::vector<double>(v.begin(), v.end()), spoof);
    };
    std::vector<std::pair<std::string, double>> aucs;
    std::vector<const std::vector<float>*> modules;
    const std::vector<std::string> names = core::moduleNames(*e);
    for (size_t k = 0; k < e->tracks.size(); ++k) {
        modules.push_back(&e->tracks[k].importance);
        aucs.emplace_back("stage2:" + names[k], auc(e->tracks[k].importance));
    }
    for (const core::Attribution& a : e->attributions)
        if (a.method != "stage2")  // w(t) again: the Stage 2 tracks above
            aucs.emplace_back(a.method + ":" + core::attributionSourceName(a, *e), auc(a.values));
    m_corpus->setLiveValues(QString::fromStdString(e->path), e->score, core::moduleDisagreement(modules), aucs);
}

} // namespace spooflens::ui
