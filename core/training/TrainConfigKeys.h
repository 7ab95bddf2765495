#pragma once
// The training configuration's key table as a list: every "section.key" that
// core::TrainConfig reads and writes (TrainConfig.cpp), in output order. The
// GUI's form (ui/training/TrainConfigForm) is checked against it by a test, so
// a key added to core cannot silently miss from the form. Torch-free.
#include <string>
#include <vector>

namespace spooflens::core {

std::vector<std::string> trainConfigKeys();

} // namespace spooflens::core
