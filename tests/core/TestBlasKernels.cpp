// ctest-labels: fast
// The BLAS kernel choice (core/util/Threads.h, docs/cpu.md "BLAS
// kernels"): Debian 12's OpenBLAS falls back to its Prescott (SSE3) kernels on
// CPU models it does not know; SpoofLens re-selects kernels that match the
// CPU's instruction set unless the user set OPENBLAS_CORETYPE.
#include "core/util/Threads.h"

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
};

QTEST_GUILESS_MAIN(TestBlasKernels)
#include "TestBlasKernels.moc"
