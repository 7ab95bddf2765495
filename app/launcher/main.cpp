// The `spooflens` and `spooflens-gui` that users run: a launcher without
// LibTorch that sets the process environment the compute libraries read when
// they are loaded, then replaces itself (execv) with the real program in
// libexec/ beside it. Why (docs/cpu.md, "Threads under load"): libgomp reads
// OMP_WAIT_POLICY once, at load time; its default lets waiting threads spin,
// which on a busy 2-core machine made the detector up to 11x slower. A value
// the user set is kept. Built twice, with SPOOFLENS_LAUNCH_TARGET naming the
// program (its file name in libexec/).
//
// It also sets glibc's allocator tunables (docs/cpu.md, "Memory"), read by
// glibc at process start: by default every block over 32 MB is a fresh mmap
// whose pages fault in one by one on first touch, and on these VMs that cost
// more than the arithmetic (AASIST's first block, 66 MB maps: 0.34 s of page
// faults against 0.02 s of convolution). Blocks up to 256 MB now come from the
// heap and up to 1 GB of freed heap is kept for the next pass; blocks that
// still need mmap (threads' arenas) get transparent huge pages.
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>

#ifndef SPOOFLENS_LAUNCH_TARGET
#error "SPOOFLENS_LAUNCH_TARGET must name the program in libexec/"
#endif
#ifndef SPOOFLENS_GLIBC_TUNABLES
#error "SPOOFLENS_GLIBC_TUNABLES must give the allocator settings (top-level CMakeLists.txt)"
#endif

int main(int argc, char** argv)
{
    (void)argc;
    char self[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        std::fprintf(stderr, "%s: cannot find its own location (/proc/self/exe): %s\n", argv[0], std::strerror(errno));
        return 127;
    }
    self[n] = '\0';
    std::string dir(self);
    dir.erase(dir.rfind('/') + 1);
    const std::string target = dir + "libexec/" SPOOFLENS_LAUNCH_TARGET;
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    if (!policy || !*policy)
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (!tunables || !*tunables)
        setenv("GLIBC_TUNABLES", SPOOFLENS_GLIBC_TUNABLES, 1);  // the top-level CMakeLists.txt's value
    // The GUI starts training runs with the command-line tool: the launcher
    // beside this one, not the program in libexec/ (ui/training/TrainingRunner).
    const std::string cli = dir + "spooflens";
    if (!std::getenv("SPOOFLENS_CLI") && access(cli.c_str(), X_OK) == 0)
        setenv("SPOOFLENS_CLI", cli.c_str(), 1);
    execv(target.c_str(), argv);
    std::fprintf(stderr, "%s: cannot start %s: %s\n", argv[0], target.c_str(), std::strerror(errno));
    return 127;
}
