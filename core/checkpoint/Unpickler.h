#pragma once
// Moved to the torch-free format library: the reader is core/format/PickleReader.h,
// the writer core/format/PickleWriter.h. This forwarding header keeps older
// includes building; new code includes core/format/ directly.
#include "core/format/PickleReader.h"
#include "core/format/PickleWriter.h"
