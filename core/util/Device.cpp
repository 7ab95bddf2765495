#include "core/util/Device.h"

#include "core/Error.h"

#include <torch/cuda.h>

namespace spooflens::core {

c10::Device parseDevice(const std::string& text)
{
    if (text.empty() || text == "auto")
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    if (text == "cpu")
        return torch::kCPU;
    if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
        int index = 0;
        if (text.size() > 5) {
            const std::string num = text.substr(5);
            if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos || num.size() > 3)
                throw ConfigError("device '" + text + "': expected auto, cpu, cuda or cuda:N");
            index = std::stoi(num);
        }
        if (!torch::cuda::is_available())
            throw ConfigError("device '" + text + "': this LibTorch build has no usable CUDA device");
        if (index >= static_cast<int>(torch::cuda::device_count()))
            throw ConfigError("device '" + text + "': only " + std::to_string(torch::cuda::device_count())
                              + " CUDA device(s) present");
        return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
    }
    throw ConfigError("device '" + text + "': expected auto, cpu, cuda or cuda:N");
}

} // namespace spooflens::core
