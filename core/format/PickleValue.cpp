#include "core/format/PickleValue.h"

namespace spooflens::core {

size_t storageElementSize(StorageDtype dtype)
{
    switch (dtype) {
    case StorageDtype::Float64:
    case StorageDtype::Int64:
        return 8;
    case StorageDtype::Float32:
    case StorageDtype::Int32:
        return 4;
    case StorageDtype::Float16:
    case StorageDtype::BFloat16:
    case StorageDtype::Int16:
        return 2;
    case StorageDtype::Int8:
    case StorageDtype::UInt8:
    case StorageDtype::Bool:
        return 1;
    }
    return 1;
}

namespace {

struct StorageTypeInfo {
    const char* typeName;
    const char* dtypeName;
    StorageDtype dtype;
};
constexpr StorageTypeInfo kStorageTypes[] = {
    {"FloatStorage", "float32", StorageDtype::Float32},   {"DoubleStorage", "float64", StorageDtype::Float64},
    {"HalfStorage", "float16", StorageDtype::Float16},    {"BFloat16Storage", "bfloat16", StorageDtype::BFloat16},
    {"LongStorage", "int64", StorageDtype::Int64},        {"IntStorage", "int32", StorageDtype::Int32},
    {"ShortStorage", "int16", StorageDtype::Int16},       {"CharStorage", "int8", StorageDtype::Int8},
    {"ByteStorage", "uint8", StorageDtype::UInt8},        {"BoolStorage", "bool", StorageDtype::Bool},
};

const StorageTypeInfo& typeInfo(StorageDtype dtype)
{
    for (const StorageTypeInfo& t : kStorageTypes)
        if (t.dtype == dtype)
            return t;
    return kStorageTypes[0];
}

} // namespace

const char* storageTypeName(StorageDtype dtype) { return typeInfo(dtype).typeName; }
const char* storageDtypeName(StorageDtype dtype) { return typeInfo(dtype).dtypeName; }

bool storageDtypeFromTypeName(const std::string& typeName, StorageDtype* dtype)
{
    for (const StorageTypeInfo& t : kStorageTypes) {
        if (typeName == t.typeName) {
            *dtype = t.dtype;
            return true;
        }
    }
    return false;
}

int64_t TensorDesc::numel() const
{
    int64_t n = 1;
    for (int64_t s : sizes)
        n *= s;   // validated (overflow-checked) when the descriptor was built
    return n;
}

bool TensorDesc::isContiguous() const
{
    int64_t expected = 1;
    for (size_t d = sizes.size(); d-- > 0;) {
        if (sizes[d] == 1)
            continue;
        if (sizes[d] == 0)
            return true;
        if (strides[d] != expected)
            return false;
        expected *= sizes[d];
    }
    return true;
}

} // namespace spooflens::core
