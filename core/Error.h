#pragma once
// Exception hierarchy of spooflens_core. Messages name the file, key or line
// at fault. Catch at boundaries (CLI main, worker slots, UI actions).
#include <stdexcept>
#include <string>

namespace spooflens::core {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Audio that cannot be read or used (missing, corrupt, empty, too short, too long).
class AudioError : public Error {
public:
    using Error::Error;
};

/// A checkpoint (.pth) or array file (.npy/.npz) that is malformed, malicious or does not fit.
class CheckpointError : public Error {
public:
    using Error::Error;
};

/// A configuration file, option or protocol line that is invalid.
class ConfigError : public Error {
public:
    using Error::Error;
};

/// The caller asked to stop (a cancellation callback returned true). Not a
/// failure: catch it where the work was started and report nothing.
class CancelledError : public Error {
public:
    CancelledError() : Error("cancelled") {}
};

} // namespace spooflens::core
