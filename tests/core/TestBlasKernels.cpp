// ctest-labels: fast
// The BLAS kernel choice (core/util/Threads.h, docs/cpu.md "BLAS
// kernels"): Debian 12's OpenBLAS falls back to its Prescott (SSE3) kernels on
// CPU models it does not know; SpoofLens re-selects kernels that match the
// CPU's instruction set unless the user set OPENBLAS_CORETYPE. And the
// convolution self-check (docs/cpu.md "Convolutions").
#include "core/util/Threads.h"

#include <torch/torch.h>

#include <QtTest>

#include <cstdlib>
#include <string>

using namespace spooflens;

class TestBlasKernels : public QObject {
    Q_OBJECT
private slots:
    void kernelsMatchTheCpu()
    {
        const char* chosen = std::getenv("OPENBLAS_CORETYPE");
        const bool userChose = chosen && *chosen;
        core::configureComputeThreads(1);
        const std::string k = core::blasKernels();
        qInfo("BLAS kernels: %s", k.c_str());
        QVERIFY(!k.empty());
        if (k.rfind("OpenBLAS", 0) != 0)
            QSKIP("the system BLAS is not OpenBLAS");
        if (userChose)
            QSKIP("OPENBLAS_CORETYPE set by the user: left alone");
#if defined(__x86_64__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            QVERIFY2(k.rfind("OpenBLAS Prescott", 0) != 0, k.c_str());
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")
            && k.find("detected Prescott") != std::string::npos)
            QVERIFY2(k.rfind(__builtin_cpu_supports("avx512bf16") ? "OpenBLAS Cooperlake" : "OpenBLAS SkylakeX", 0) == 0,
                     k.c_str());
#endif
        // Idempotent: a second call changes nothing.
        core::configureComputeThreads(2);
        QCOMPARE(core::blasKernels(), k);
    }

    // Debian 13's LibTorch 2.6 gave float32 2-D convolutions with 24 input
    // channels wrong by ~20 on AVX-512 CPUs (oneDNN 3.7.2): after the
    // self-check, AASIST's convolution shapes agree with float64 everywhere.
    void convolutionsAreRightAfterTheCheck()
    {
        core::configureComputeThreads(2);
        const std::string note = core::convolutionCheck();
        qInfo("convolutions: %s", note.c_str());
        QVERIFY(note.rfind("oneDNN", 0) == 0);
        torch::manual_seed(7);
        for (const bool channelsLast : {false, true})  // AASIST's inference path uses channels-last
            for (int64_t cin : {24, 32}) {
                torch::Tensor x = torch::randn({2, cin, 23, 300}), w = torch::randn({24, cin, 2, 3});
                if (channelsLast) {
                    x = x.contiguous(torch::MemoryFormat::ChannelsLast);
                    w = w.contiguous(torch::MemoryFormat::ChannelsLast);
                }
                const std::vector<int64_t> stride{1, 1}, padding{0, 1};
                const torch::Tensor y = torch::conv2d(x, w, torch::Tensor(), stride, padding);
                const torch::Tensor ref =
                    torch::conv2d(x.to(torch::kFloat64), w.to(torch::kFloat64), torch::Tensor(), stride, padding);
                const double err = (y.to(torch::kFloat64) - ref).abs().max().item<double>();
                QVERIFY2(err < 1e-3, qPrintable(QString::number(err) + (channelsLast ? " (channels-last)" : "")));
            }
    }

    // Where the check turned oneDNN off, bf16 GEMMs lose their fast kernels
    // (scalar loops, 100-300x slower): a ScopedReducedPrecisionKernels turns
    // oneDNN on for the bf16 encoder when its bf16 kernels were checked right,
    // nests, and restores the process setting; bf16 results inside it agree
    // with float64 at bf16 rounding. Where oneDNN was never off, it changes nothing.
    void reducedPrecisionScopeRestoresTheSetting()
    {
        core::configureComputeThreads(2);
        const std::string note = core::convolutionCheck();
        const bool before = at::globalContext().userEnabledMkldnn();
        const bool off = note.rfind("oneDNN off", 0) == 0;
        QCOMPARE(before, !off);
        const bool reducedOn = !off || note.find("on for bf16") != std::string::npos;
        {
            core::ScopedReducedPrecisionKernels outer;
            QCOMPARE(at::globalContext().userEnabledMkldnn(), reducedOn);
            {
                core::ScopedReducedPrecisionKernels inner;
                QCOMPARE(at::globalContext().userEnabledMkldnn(), reducedOn);
            }
            QCOMPARE(at::globalContext().userEnabledMkldnn(), reducedOn);  // the outer scope still lives
            torch::manual_seed(8);
            const torch::Tensor a = torch::randn({48, 1024}).to(torch::kBFloat16);
            const torch::Tensor b = torch::randn({1024, 768}).to(torch::kBFloat16);
            const torch::Tensor ref = torch::mm(a.to(torch::kFloat64), b.to(torch::kFloat64));
            const double rel = (torch::mm(a, b).to(torch::kFloat64) - ref).abs().max().item<double>()
                               / ref.abs().max().item<double>();
            QVERIFY2(rel < 2e-2, qPrintable(QString::number(rel)));
        }
        QCOMPARE(at::globalContext().userEnabledMkldnn(), before);
    }
};

QTEST_GUILESS_MAIN(TestBlasKernels)
#include "TestBlasKernels.moc"
