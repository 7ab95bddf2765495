#pragma once
// The one value tree of SpoofLens' checkpoint formats: what a torch.save
// pickle holds as far as a checkpoint needs (primitives, tuples, lists,
// dicts, tensors). The tensor leaf is a template parameter: the torch-free
// reader and writer use TensorDesc (a strided view of a storage record),
// core's checkpoint layer uses owned torch::Tensors (`core::Value`,
// core/checkpoint/Checkpoint.h). `mapTensors` turns one into the other.
//
// Torch-free and Qt-free (core/format/ is linked alone by the fuzz target).
// Thread-safety: plain values; no shared state.
#include "core/Error.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spooflens::core {

/// Element types of torch storages (the `torch.<X>Storage` globals, docs/detector.md §5.3).
enum class StorageDtype { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool };

/// Bytes per element.
size_t storageElementSize(StorageDtype dtype);
/// "FloatStorage", "LongStorage", ...
const char* storageTypeName(StorageDtype dtype);
/// "float32", "int64", ...
const char* storageDtypeName(StorageDtype dtype);
/// "FloatStorage" -> Float32 etc.; false for any other name.
bool storageDtypeFromTypeName(const std::string& typeName, StorageDtype* dtype);

/// A tensor as data.pkl describes it: a strided view of a storage record.
/// Offsets, sizes and strides are in elements.
struct TensorDesc {
    StorageDtype dtype = StorageDtype::Float32;
    std::string storageKey;          // record `<archive>/data/<storageKey>`
    int64_t storageNumel = 0;        // elements in the storage (from the persistent id)
    int64_t offset = 0;
    std::vector<int64_t> sizes;
    std::vector<int64_t> strides;
    bool requiresGrad = false;

    int64_t numel() const;
    /// True if the view is C-contiguous (strides of a dense row-major layout).
    bool isContiguous() const;
};

enum class ValueKind { None, Bool, Int, Float, String, Tuple, List, Dict, Tensor };

template <class TensorLeaf>
struct BasicValue {
    using Kind = ValueKind;
    Kind kind = Kind::None;
    bool b = false;
    int64_t i = 0;
    double f = 0.0;
    std::string s;                                            // String
    std::vector<BasicValue> items;                            // Tuple, List
    std::vector<std::pair<BasicValue, BasicValue>> entries;   // Dict, in insertion order
    bool ordered = false;                                     // Dict: collections.OrderedDict (vs dict)
    /// Dict (OrderedDict only): instance attributes set by the pickle's BUILD,
    /// e.g. a state dict's `_metadata`; kept on read, written back on write.
    std::vector<std::pair<BasicValue, BasicValue>> attributes;
    TensorLeaf tensor;                                        // Tensor

    static BasicValue none() { return BasicValue(); }
    static BasicValue boolean(bool v) { return scalar(Kind::Bool, [&](BasicValue& x) { x.b = v; }); }
    static BasicValue integer(int64_t v) { return scalar(Kind::Int, [&](BasicValue& x) { x.i = v; }); }
    static BasicValue real(double v) { return scalar(Kind::Float, [&](BasicValue& x) { x.f = v; }); }
    static BasicValue string(std::string v) { return scalar(Kind::String, [&](BasicValue& x) { x.s = std::move(v); }); }
    static BasicValue tuple(std::vector<BasicValue> v) { return scalar(Kind::Tuple, [&](BasicValue& x) { x.items = std::move(v); }); }
    static BasicValue list(std::vector<BasicValue> v) { return scalar(Kind::List, [&](BasicValue& x) { x.items = std::move(v); }); }
    static BasicValue dict(bool orderedDict = false)
    {
        return scalar(Kind::Dict, [&](BasicValue& x) { x.ordered = orderedDict; });
    }
    static BasicValue fromTensor(TensorLeaf t) { return scalar(Kind::Tensor, [&](BasicValue& x) { x.tensor = std::move(t); }); }

    bool isDict() const { return kind == Kind::Dict; }
    /// Dict lookup by string key; nullptr if absent or not a dict.
    const BasicValue* find(const std::string& key) const
    {
        if (kind != Kind::Dict)
            return nullptr;
        for (const auto& [k, v] : entries)
            if (k.kind == Kind::String && k.s == key)
                return &v;
        return nullptr;
    }
    BasicValue* find(const std::string& key)
    {
        return const_cast<BasicValue*>(static_cast<const BasicValue*>(this)->find(key));
    }
    /// Dict insert or replace by string key (keeps insertion order).
    void set(const std::string& key, BasicValue v)
    {
        if (kind != Kind::Dict)
            throw Error("Value::set on a value that is not a dict (key '" + key + "')");
        if (BasicValue* existing = find(key)) {
            *existing = std::move(v);
            return;
        }
        entries.emplace_back(string(key), std::move(v));
    }

private:
    template <class F>
    static BasicValue scalar(Kind k, F&& fill)
    {
        BasicValue x;
        x.kind = k;
        fill(x);
        return x;
    }
};

/// Calls `visit(leaf)` for every tensor in `v`, depth first in stored order
/// (dict keys before values, entries before attributes).
template <class TensorLeaf, class Visit>
void forEachTensor(const BasicValue<TensorLeaf>& v, Visit&& visit)
{
    if (v.kind == ValueKind::Tensor)
        visit(v.tensor);
    for (const auto& c : v.items)
        forEachTensor(c, visit);
    for (const auto& [k, c] : v.entries) {
        forEachTensor(k, visit);
        forEachTensor(c, visit);
    }
    for (const auto& [k, c] : v.attributes)
        forEachTensor(c, visit);
}

/// The same tree with every tensor leaf replaced by `convert(leaf)`, visited in
/// the order of forEachTensor.
template <class To, class From, class Convert>
BasicValue<To> mapTensors(const BasicValue<From>& v, Convert&& convert)
{
    BasicValue<To> out;
    out.kind = v.kind;
    out.b = v.b;
    out.i = v.i;
    out.f = v.f;
    out.s = v.s;
    out.ordered = v.ordered;
    if (v.kind == ValueKind::Tensor)
        out.tensor = convert(v.tensor);
    out.items.reserve(v.items.size());
    for (const auto& c : v.items)
        out.items.push_back(mapTensors<To>(c, convert));
    out.entries.reserve(v.entries.size());
    for (const auto& [k, c] : v.entries) {
        BasicValue<To> key = mapTensors<To>(k, convert);
        out.entries.emplace_back(std::move(key), mapTensors<To>(c, convert));
    }
    for (const auto& [k, c] : v.attributes) {
        BasicValue<To> key = mapTensors<To>(k, convert);
        out.attributes.emplace_back(std::move(key), mapTensors<To>(c, convert));
    }
    return out;
}

/// A pickled value with tensors as storage descriptors (reader and writer side).
using PickleValue = BasicValue<TensorDesc>;

} // namespace spooflens::core
