#pragma once
// Moved to the torch-free format library: core/format/Npy.h. This forwarding
// header keeps older includes building; new code includes core/format/ directly.
#include "core/format/Npy.h"
