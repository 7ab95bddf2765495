#pragma once
// Precompiled header for spooflens_core: <torch/torch.h> costs ~15 s per
// translation unit on one core; precompiling it once keeps the build short.
// Never include this from a public header that ui/ sees.
#include <torch/torch.h>
