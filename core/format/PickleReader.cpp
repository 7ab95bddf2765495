#include "core/format/PickleReader.h"

#include "core/Error.h"
#include "core/format/PickleOpcodes.h"

#include <cstring>
#include <deque>
#include <limits>
#include <unordered_map>

namespace spooflens::core {

namespace {

using namespace pickle;

// Protocol 3 bytes opcodes, accepted only in NumpyArrays mode (np.save writes protocol 3).
constexpr unsigned char BINBYTES = 'B', SHORT_BINBYTES = 'C';

// The allow-list of docs/detector.md §5.3. GLOBAL resolves a name to one of
// these symbols (anything else is refused by name, before any effect); what
// each may do is decided where REDUCE and BUILD apply it. To allow another
// global, add an enumerator, a row below and its case in reduce()/build.
// NumpyArrays mode (PickleGlobals): only the three Np* globals, resolved in resolveGlobal().
enum class Global { None, OrderedDict, RebuildTensorV2, RebuildParameter, StorageType,
                    NpReconstruct, NpNdarray, NpDtype };

struct AllowedGlobal {
    const char* module;
    const char* name;
    Global global;
};
constexpr AllowedGlobal kAllowedGlobals[] = {
    {"collections", "OrderedDict", Global::OrderedDict},
    {"torch._utils", "_rebuild_tensor_v2", Global::RebuildTensorV2},
    {"torch._utils", "_rebuild_parameter", Global::RebuildParameter},
    // torch.<Type>Storage (Global::StorageType): the storage table of core/format/PickleValue.cpp.
};
// NumpyArrays mode: the whole list. NumPy 2 moved numpy.core to numpy._core;
// both spellings name the same symbol (and nothing else is added with them).
constexpr AllowedGlobal kNumpyGlobals[] = {
    {"numpy.core.multiarray", "_reconstruct", Global::NpReconstruct},
    {"numpy._core.multiarray", "_reconstruct", Global::NpReconstruct},
    {"numpy", "ndarray", Global::NpNdarray},
    {"numpy", "dtype", Global::NpDtype},
};

struct Node {
    enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Tensor, Global, Storage,
                      Bytes, NpArray, NpDtype, Set };
    Kind kind = Kind::None;
    bool b = false;
    int64_t i = 0;
    double f = 0.0;
    std::string s;                                  // String; Global: display name
    std::vector<Node*> items;                       // Tuple, List, NpArray; Set: in stream order
    std::vector<std::pair<Node*, Node*>> entries;
    std::unordered_map<std::string, size_t> keyIndex;  // Dict: key -> index in entries
    std::vector<std::pair<Node*, Node*>> attributes;
    bool ordered = false;
    Global global = Global::None;
    TensorDesc tensor;                              // Tensor; Storage: dtype, key, numel
    bool built = false;                             // NpArray / NpDtype: BUILD applied
    char byteOrder = '|';                           // NpDtype: '<', '>', '|' or '='
};

std::string printable(const std::string& s)
{
    std::string out;
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f && c != '\'') {
            out.push_back(char(c));
        } else {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
        if (out.size() > 200) {
            out += "...";
            break;
        }
    }
    return out;
}

class Machine {
public:
    Machine(const unsigned char* data, size_t size, const std::string& file, const std::string& what,
            const UnpicklerLimits& limits, PickleGlobals globals)
        : m_data(data), m_size(size), m_file(file), m_what(what), m_limits(limits), m_globals(globals)
    {
    }

    PickleValue run();

private:
    [[noreturn]] void corrupt(const std::string& why) const
    {
        throw CheckpointError(m_file + ": corrupt pickle in " + m_what + " at offset " + std::to_string(m_op) +
                              ": " + why);
    }
    void need(size_t n) const
    {
        if (m_size - m_pos < n)
            corrupt("unexpected end of data");
    }
    uint32_t readLe(size_t n)
    {
        need(n);
        uint32_t v = 0;
        for (size_t k = 0; k < n; ++k)
            v |= uint32_t(m_data[m_pos + k]) << (8 * k);
        m_pos += n;
        return v;
    }
    uint64_t readLe64()
    {
        need(8);
        uint64_t v = 0;
        for (size_t k = 0; k < 8; ++k)
            v |= uint64_t(m_data[m_pos + k]) << (8 * k);
        m_pos += 8;
        return v;
    }
    // A string or bytes argument of `len` bytes (lengths come from the data: checked first).
    Node* readBlob(Node::Kind kind, uint64_t len)
    {
        if (len > m_size - m_pos)
            corrupt("unexpected end of data");
        Node* n = make(kind);
        n->s.assign(reinterpret_cast<const char*>(m_data + m_pos), size_t(len));
        m_pos += size_t(len);
        return n;
    }
    std::string readLine()
    {
        const size_t maxLen = 1024;
        size_t end = m_pos;
        while (end < m_size && m_data[end] != '\n') {
            if (end - m_pos > maxLen)
                corrupt("line too long");
            ++end;
        }
        if (end >= m_size)
            corrupt("unexpected end of data in a text argument");
        std::string s(reinterpret_cast<const char*>(m_data + m_pos), end - m_pos);
        m_pos = end + 1;
        return s;
    }

    Node* make(Node::Kind kind)
    {
        if (m_arena.size() >= m_limits.maxObjects)
            corrupt("too many objects");
        m_arena.emplace_back();
        m_arena.back().kind = kind;
        return &m_arena.back();
    }
    void push(Node* n)
    {
        if (m_stack.size() + m_marks.size() >= m_limits.maxStack)
            corrupt("stack too deep");
        m_stack.push_back(n);
    }
    size_t frameBase() const { return m_marks.empty() ? 0 : m_marks.back(); }
    Node* pop()
    {
        if (m_stack.size() <= frameBase())
            corrupt("stack underflow");
        Node* n = m_stack.back();
        m_stack.pop_back();
        return n;
    }
    Node* top()
    {
        if (m_stack.size() <= frameBase())
            corrupt("stack underflow");
        return m_stack.back();
    }
    std::vector<Node*> popMark()
    {
        if (m_marks.empty())
            corrupt("no MARK on the stack");
        const size_t base = m_marks.back();
        m_marks.pop_back();
        std::vector<Node*> items(m_stack.begin() + std::ptrdiff_t(base), m_stack.end());
        m_stack.resize(base);
        return items;
    }
    void memoPut(uint32_t index)
    {
        Node* n = top();
        if (m_memo.size() >= m_limits.maxMemo && m_memo.find(index) == m_memo.end())
            corrupt("memo too large");
        m_memo[index] = n;
    }
    void memoGet(uint32_t index)
    {
        const auto it = m_memo.find(index);
        if (it == m_memo.end())
            corrupt("memo key " + std::to_string(index) + " was never stored");
        push(it->second);
    }

    [[noreturn]] void forbidden(const std::string& module, const std::string& name) const
    {
        std::string msg = m_file + ": pickle global '" + printable(module) + "." + printable(name) +
                          "' is not allowed in a " + kindName() + " (" + m_what + " offset " +
                          std::to_string(m_op) + ")";
        if (m_globals == PickleGlobals::NumpyArrays)
            throw CheckpointError(msg);
        // A pickled nn.Module starts with its class (right after PROTO) or
        // names torch.nn / __main__ classes.
        if (m_op == 2 || module.rfind("torch.nn", 0) == 0 || module == "__main__")
            msg += "; this looks like a whole pickled model: save model.state_dict() instead";
        throw CheckpointError(msg);
    }
    const char* kindName() const
    {
        return m_globals == PickleGlobals::NumpyArrays ? "NumPy array file" : "state-dict checkpoint";
    }
    Node* resolveGlobal(const std::string& module, const std::string& name)
    {
        Node* g = make(Node::Kind::Global);
        g->s = module + "." + name;
        if (m_globals == PickleGlobals::NumpyArrays) {
            for (const AllowedGlobal& a : kNumpyGlobals) {
                if (module == a.module && name == a.name)
                    g->global = a.global;
            }
            if (g->global == Global::None)
                forbidden(module, name);
            return g;
        }
        for (const AllowedGlobal& a : kAllowedGlobals) {
            if (module == a.module && name == a.name)
                g->global = a.global;
        }
        if (module == "torch" && storageDtypeFromTypeName(name, &g->tensor.dtype))
            g->global = Global::StorageType;
        if (g->global == Global::None)
            forbidden(module, name);
        return g;
    }

    Node* keyFor(Node* key)
    {
        if (key->kind != Node::Kind::String && key->kind != Node::Kind::Int)
            corrupt("dictionary keys must be strings or integers");
        return key;
    }
    static std::string keyId(const Node* key)
    {
        return key->kind == Node::Kind::String ? "s" + key->s : "i" + std::to_string(key->i);
    }
    void setItem(Node* dict, Node* key, Node* value)
    {
        if (dict->kind != Node::Kind::Dict)
            corrupt("SETITEM(S) on a non-dictionary");
        keyFor(key);
        const auto [it, inserted] = dict->keyIndex.emplace(keyId(key), dict->entries.size());
        if (inserted)
            dict->entries.emplace_back(key, value);
        else
            dict->entries[it->second].second = value;   // Python semantics: last value wins, first position kept
    }

    static bool isEmptyDict(const Node* n) { return n->kind == Node::Kind::Dict && n->entries.empty() && n->attributes.empty(); }

    int64_t checkedNonNegative(const Node* n, const char* what)
    {
        if (n->kind != Node::Kind::Int)
            corrupt(std::string("tensor ") + what + " must be an integer");
        if (n->i < 0)
            corrupt(std::string("tensor ") + what + " is negative");
        return n->i;
    }

    Node* rebuildTensor(const std::vector<Node*>& args)
    {
        if (args.size() != 6 && args.size() != 7)
            corrupt("_rebuild_tensor_v2 expects 6 or 7 arguments, got " + std::to_string(args.size()));
        const Node* storage = args[0];
        if (storage->kind != Node::Kind::Storage)
            corrupt("_rebuild_tensor_v2's first argument is not a storage (persistent id)");
        Node* t = make(Node::Kind::Tensor);
        t->tensor.dtype = storage->tensor.dtype;
        t->tensor.storageKey = storage->tensor.storageKey;
        t->tensor.storageNumel = storage->tensor.storageNumel;
        t->tensor.offset = checkedNonNegative(args[1], "storage offset");
        const Node* sizes = args[2];
        const Node* strides = args[3];
        if (sizes->kind != Node::Kind::Tuple || strides->kind != Node::Kind::Tuple)
            corrupt("tensor size and stride must be tuples");
        if (sizes->items.size() != strides->items.size())
            corrupt("tensor size and stride have different lengths");
        if (sizes->items.size() > m_limits.maxDims)
            corrupt("tensor has too many dimensions");
        for (size_t d = 0; d < sizes->items.size(); ++d) {
            t->tensor.sizes.push_back(checkedNonNegative(sizes->items[d], "size"));
            t->tensor.strides.push_back(checkedNonNegative(strides->items[d], "stride"));
        }
        if (args[4]->kind != Node::Kind::Bool)
            corrupt("requires_grad must be a bool");
        t->tensor.requiresGrad = args[4]->b;
        if (!isEmptyDict(args[5]))
            corrupt("tensors with backward hooks are not supported");
        if (args.size() == 7 && args[6]->kind != Node::Kind::None && !isEmptyDict(args[6]))
            corrupt("tensor metadata (7th _rebuild_tensor_v2 argument) must be empty");
        checkView(t->tensor);
        return t;
    }

    void checkView(const TensorDesc& t)
    {
        // Every element the view addresses must lie inside the storage:
        // offset + sum((size_i - 1) * stride_i) < numel, all overflow-checked.
        int64_t numel = 1;
        for (int64_t s : t.sizes)
            if (__builtin_mul_overflow(numel, s, &numel))
                corrupt("tensor element count overflows");
        if (numel == 0) {
            if (t.offset > t.storageNumel)
                corrupt("tensor view starts outside its storage '" + printable(t.storageKey) + "'");
            return;
        }
        int64_t last = t.offset;
        for (size_t d = 0; d < t.sizes.size(); ++d) {
            int64_t span = 0;
            if (__builtin_mul_overflow(t.sizes[d] - 1, t.strides[d], &span) || __builtin_add_overflow(last, span, &last))
                corrupt("tensor view overflows");
        }
        if (last >= t.storageNumel)
            corrupt("tensor view (offset " + std::to_string(t.offset) + ", last element " + std::to_string(last) +
                    ") lies outside its storage '" + printable(t.storageKey) + "' of " +
                    std::to_string(t.storageNumel) + " elements");
    }

    Node* persistentLoad(Node* pid)
    {
        if (pid->kind != Node::Kind::Tuple || pid->items.size() != 5)
            corrupt("persistent id must be a 5-tuple ('storage', type, key, location, numel)");
        const auto& it = pid->items;
        if (it[0]->kind != Node::Kind::String || it[0]->s != "storage")
            corrupt("persistent id must start with 'storage'");
        if (it[1]->kind != Node::Kind::Global || it[1]->global != Global::StorageType)
            corrupt("persistent id's storage type is not a torch.<Type>Storage");
        if (it[2]->kind != Node::Kind::String || it[2]->s.empty() || it[2]->s.size() > 64)
            corrupt("persistent id's storage key must be a short string");
        for (char c : it[2]->s)
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
                corrupt("persistent id's storage key '" + printable(it[2]->s) + "' is not a plain record name");
        if (it[3]->kind != Node::Kind::String)
            corrupt("persistent id's location must be a string");
        if (it[4]->kind != Node::Kind::Int || it[4]->i < 0)
            corrupt("persistent id's element count must be a non-negative integer");
        const StorageDtype dtype = it[1]->tensor.dtype;
        if (it[4]->i > std::numeric_limits<int64_t>::max() / 8)
            corrupt("storage element count too large");
        const auto [seen, inserted] = m_storages.emplace(it[2]->s, std::make_pair(dtype, it[4]->i));
        if (!inserted && (seen->second.first != dtype || seen->second.second != it[4]->i))
            corrupt("storage '" + printable(it[2]->s) + "' is described twice with different types or sizes");
        Node* s = make(Node::Kind::Storage);
        s->tensor.dtype = dtype;
        s->tensor.storageKey = it[2]->s;
        s->tensor.storageNumel = it[4]->i;
        return s;
    }

    Node* reduce(Node* callable, Node* args)
    {
        if (callable->kind != Node::Kind::Global)
            corrupt("REDUCE on something that is not a whitelisted global");
        if (args->kind != Node::Kind::Tuple)
            corrupt("REDUCE arguments must be a tuple");
        switch (callable->global) {
        case Global::OrderedDict: {
            if (!args->items.empty())
                corrupt("collections.OrderedDict must be called without arguments");
            Node* d = make(Node::Kind::Dict);
            d->ordered = true;
            return d;
        }
        case Global::RebuildTensorV2:
            return rebuildTensor(args->items);
        case Global::RebuildParameter: {
            if (args->items.size() != 3 || args->items[0]->kind != Node::Kind::Tensor ||
                args->items[1]->kind != Node::Kind::Bool || !isEmptyDict(args->items[2]))
                corrupt("_rebuild_parameter expects (tensor, requires_grad, empty hooks)");
            Node* t = make(Node::Kind::Tensor);
            t->tensor = args->items[0]->tensor;
            t->tensor.requiresGrad = args->items[1]->b;
            return t;
        }
        case Global::StorageType:
            corrupt("calling " + printable(callable->s) + " is not allowed (storage types may only appear in persistent ids)");
        case Global::NpReconstruct: {
            // _reconstruct(numpy.ndarray, (0,), b'b'): an empty array that BUILD fills.
            if (args->items.size() != 3 || args->items[0]->kind != Node::Kind::Global ||
                args->items[0]->global != Global::NpNdarray)
                corrupt("numpy _reconstruct expects (numpy.ndarray, shape, typecode)");
            return make(Node::Kind::NpArray);
        }
        case Global::NpDtype: {
            // dtype('U1', False, True): kind + item size; byte order comes with BUILD.
            if (args->items.size() != 3 || args->items[0]->kind != Node::Kind::String)
                corrupt("numpy dtype expects (type string, align, copy)");
            Node* d = make(Node::Kind::NpDtype);
            d->s = args->items[0]->s;
            return d;
        }
        case Global::NpNdarray:
            corrupt("calling numpy.ndarray directly is not allowed");
        case Global::None:
            break;
        }
        corrupt("REDUCE on an unknown callable");
    }

    // BUILD on a numpy dtype: state (version, byte order, subarray, names,
    // fields, elsize, alignment, flags[, metadata]); only the byte order matters.
    void buildDtype(Node* d, Node* state)
    {
        if (d->built)
            corrupt("numpy dtype built twice");
        if (state->kind != Node::Kind::Tuple || state->items.size() < 8 || state->items[1]->kind != Node::Kind::String ||
            state->items[1]->s.size() != 1)
            corrupt("numpy dtype state must be a tuple (version, byte order, ...)");
        for (size_t k = 2; k <= 4; ++k)
            if (state->items[k]->kind != Node::Kind::None)
                corrupt("structured numpy dtypes are not supported");
        d->byteOrder = state->items[1]->s[0];
        d->built = true;
    }

    // BUILD on an array from _reconstruct: state (version, shape, dtype,
    // fortran_order, data) where data is raw bytes, or a list for object arrays.
    void buildArray(Node* a, Node* state)
    {
        if (a->built)
            corrupt("numpy array built twice");
        if (state->kind != Node::Kind::Tuple || state->items.size() != 5)
            corrupt("numpy array state must be (version, shape, dtype, fortran_order, data)");
        const Node* shape = state->items[1];
        const Node* dtype = state->items[2];
        const Node* data = state->items[4];
        if (shape->kind != Node::Kind::Tuple || shape->items.size() > m_limits.maxDims)
            corrupt("numpy array shape must be a short tuple");
        int64_t numel = 1;
        for (const Node* d : shape->items)
            if (__builtin_mul_overflow(numel, checkedNonNegative(d, "size"), &numel))
                corrupt("numpy array element count overflows");
        if (size_t(numel) > m_limits.maxObjects)
            corrupt("numpy array too large");
        if (dtype->kind != Node::Kind::NpDtype || !dtype->built || dtype->s.size() < 2)
            corrupt("numpy array dtype is not a numpy.dtype");
        if (state->items[3]->kind != Node::Kind::Bool || (state->items[3]->b && shape->items.size() > 1))
            corrupt("Fortran-ordered numpy arrays are not supported");
        const char kind = dtype->s[0];
        const std::string sizeText = dtype->s.substr(1);
        if (sizeText.find_first_not_of("0123456789") != std::string::npos || sizeText.size() > 6)
            corrupt("numpy dtype '" + printable(dtype->s) + "' is not supported");
        const size_t item = size_t(std::stoul(sizeText));
        if (kind == 'O') {
            if (data->kind != Node::Kind::List || int64_t(data->items.size()) != numel)
                corrupt("numpy object array data must be a list of " + std::to_string(numel) + " values");
            a->items = data->items;
            a->built = true;
            return;
        }
        if (data->kind != Node::Kind::Bytes)
            corrupt("numpy array data must be bytes");
        const bool big = dtype->byteOrder == '>';
        const size_t unit = kind == 'U' ? 4 * item : item;
        if (unit == 0 || data->s.size() != size_t(numel) * unit)
            corrupt("numpy array data has " + std::to_string(data->s.size()) + " bytes, expected " +
                    std::to_string(size_t(numel) * unit));
        const auto* bytes = reinterpret_cast<const unsigned char*>(data->s.data());
        auto word = [&](size_t at, size_t n) {
            uint64_t v = 0;
            for (size_t k = 0; k < n; ++k)
                v |= uint64_t(bytes[at + (big ? n - 1 - k : k)]) << (8 * k);
            return v;
        };
        for (int64_t e = 0; e < numel; ++e) {
            const size_t at = size_t(e) * unit;
            Node* v = nullptr;
            if (kind == 'U' || kind == 'S') {
                v = make(Node::Kind::String);
                for (size_t c = 0; c < item; ++c) {
                    const uint32_t cp = kind == 'U' ? uint32_t(word(at + 4 * c, 4)) : bytes[at + c];
                    if (cp == 0)
                        break;
                    if (cp > 0x10FFFF)
                        corrupt("invalid code point in a numpy string array");
                    // UTF-8 encode.
                    if (cp < 0x80) {
                        v->s.push_back(char(cp));
                    } else if (cp < 0x800) {
                        v->s.push_back(char(0xC0 | (cp >> 6)));
                        v->s.push_back(char(0x80 | (cp & 0x3F)));
                    } else if (cp < 0x10000) {
                        v->s.push_back(char(0xE0 | (cp >> 12)));
                        v->s.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
                        v->s.push_back(char(0x80 | (cp & 0x3F)));
                    } else {
                        v->s.push_back(char(0xF0 | (cp >> 18)));
                        v->s.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
                        v->s.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
                        v->s.push_back(char(0x80 | (cp & 0x3F)));
                    }
                }
            } else if (kind == 'b' && item == 1) {
                v = make(Node::Kind::Bool);
                v->b = bytes[at] != 0;
            } else if ((kind == 'i' || kind == 'u') && (item == 1 || item == 2 || item == 4 || item == 8)) {
                v = make(Node::Kind::Int);
                uint64_t u = word(at, item);
                if (kind == 'i' && item < 8 && (u >> (8 * item - 1)) & 1)
                    u |= ~uint64_t(0) << (8 * item);
                std::memcpy(&v->i, &u, sizeof u);
            } else if (kind == 'f' && (item == 4 || item == 8)) {
                v = make(Node::Kind::Float);
                const uint64_t u = word(at, item);
                if (item == 4) {
                    const auto u32 = uint32_t(u);
                    float f = 0;
                    std::memcpy(&f, &u32, sizeof f);
                    v->f = f;
                } else {
                    std::memcpy(&v->f, &u, sizeof u);
                }
            } else {
                corrupt("numpy dtype '" + printable(dtype->s) + "' is not supported");
            }
            a->items.push_back(v);
        }
        a->built = true;
    }

    PickleValue convert(const Node* n, size_t depth)
    {
        if (depth > m_limits.maxDepth)
            corrupt("nesting too deep (or a reference cycle)");
        if (++m_converted > m_limits.maxNodes)
            corrupt("too many values");
        PickleValue v;
        switch (n->kind) {
        case Node::Kind::None:
            v.kind = PickleValue::Kind::None;
            break;
        case Node::Kind::Bool:
            v.kind = PickleValue::Kind::Bool;
            v.b = n->b;
            break;
        case Node::Kind::Int:
            v.kind = PickleValue::Kind::Int;
            v.i = n->i;
            break;
        case Node::Kind::Float:
            v.kind = PickleValue::Kind::Float;
            v.f = n->f;
            break;
        case Node::Kind::String:
            v.kind = PickleValue::Kind::String;
            v.s = n->s;
            break;
        case Node::Kind::Tuple:
        case Node::Kind::List:
            v.kind = n->kind == Node::Kind::Tuple ? PickleValue::Kind::Tuple : PickleValue::Kind::List;
            v.items.reserve(n->items.size());
            for (const Node* c : n->items)
                v.items.push_back(convert(c, depth + 1));
            break;
        case Node::Kind::Dict:
            v.kind = PickleValue::Kind::Dict;
            v.ordered = n->ordered;
            v.entries.reserve(n->entries.size());
            for (const auto& [k, val] : n->entries)
                v.entries.emplace_back(convert(k, depth + 1), convert(val, depth + 1));
            for (const auto& [k, val] : n->attributes)
                v.attributes.emplace_back(convert(k, depth + 1), convert(val, depth + 1));
            break;
        case Node::Kind::Tensor:
            v.kind = PickleValue::Kind::Tensor;
            v.tensor = n->tensor;
            break;
        case Node::Kind::Global:
            corrupt("the result contains a bare global (" + printable(n->s) + ")");
        case Node::Kind::Storage:
            corrupt("the result contains a bare storage (only tensors are supported)");
        case Node::Kind::Bytes:
            v.kind = PickleValue::Kind::String;
            v.s = n->s;
            break;
        case Node::Kind::NpArray:
            if (!n->built)
                corrupt("a numpy array was never filled (no BUILD)");
            v.kind = PickleValue::Kind::List;
            v.items.reserve(n->items.size());
            for (const Node* c : n->items)
                v.items.push_back(convert(c, depth + 1));
            break;
        case Node::Kind::NpDtype:
            corrupt("the result contains a bare numpy dtype");
        case Node::Kind::Set:
            // set / frozenset (protocol 4): a list of its members in stream order.
            v.kind = PickleValue::Kind::List;
            v.items.reserve(n->items.size());
            for (const Node* c : n->items)
                v.items.push_back(convert(c, depth + 1));
            break;
        }
        return v;
    }

    const unsigned char* m_data;
    size_t m_size;
    const std::string& m_file;
    const std::string& m_what;
    const UnpicklerLimits& m_limits;
    PickleGlobals m_globals;
    size_t m_pos = 0;
    size_t m_op = 0;      // offset of the opcode being executed
    size_t m_converted = 0;
    std::deque<Node> m_arena;
    std::vector<Node*> m_stack;
    std::vector<size_t> m_marks;
    std::unordered_map<uint32_t, Node*> m_memo;
    std::unordered_map<std::string, std::pair<StorageDtype, int64_t>> m_storages;
};

PickleValue Machine::run()
{
    if (m_size < 2 || m_data[0] != PROTO)
        corrupt("not a protocol-2 pickle (no PROTO opcode at the start)");
    // np.save writes protocol 3 with NumPy 1.x and protocol 4 with NumPy 2.x.
    const unsigned maxProtocol = m_globals == PickleGlobals::NumpyArrays ? 4 : 2;
    if (m_data[1] < 2 || m_data[1] > maxProtocol)
        corrupt("pickle protocol " + std::to_string(int(m_data[1])) + " is not supported (" +
                (m_globals == PickleGlobals::NumpyArrays ? "np.save writes protocol 3 (NumPy 1) or 4 (NumPy 2)"
                                                         : "torch.save writes protocol 2") + ")");
    const unsigned protocol = m_data[1];
    // The protocol-4 opcodes are accepted only in a protocol-4 stream (so only in NumpyArrays mode).
    auto protocol4 = [&](const char* name) {
        if (protocol < 4)
            corrupt(std::string("opcode ") + name + " is not allowed in a protocol-" + std::to_string(protocol) +
                    " pickle");
    };
    m_pos = 2;
    while (m_pos < m_size) {
        m_op = m_pos;
        const unsigned char op = m_data[m_pos++];
        switch (op) {
        case PROTO:
            if (readLe(1) != protocol)
                corrupt("pickle protocol changes mid-stream");
            break;
        case STOP: {
            if (!m_marks.empty() || m_stack.size() != 1)
                corrupt("STOP with " + std::to_string(m_stack.size()) + " values and " +
                        std::to_string(m_marks.size()) + " marks on the stack");
            m_op = m_pos - 1;
            return convert(m_stack.back(), 0);
        }
        case MARK:
            if (m_stack.size() + m_marks.size() >= m_limits.maxStack)
                corrupt("stack too deep");
            m_marks.push_back(m_stack.size());
            break;
        case GLOBAL: {
            const std::string module = readLine();
            const std::string name = readLine();
            push(resolveGlobal(module, name));
            break;
        }
        case STACK_GLOBAL:
            if (protocol >= 4) {
                // The same closed allow-list as GLOBAL: anything else is refused by name here.
                Node* name = pop();
                Node* module = pop();
                if (name->kind != Node::Kind::String || module->kind != Node::Kind::String)
                    corrupt("STACK_GLOBAL expects two strings (module, name)");
                push(resolveGlobal(module->s, name->s));
                break;
            }
            [[fallthrough]];
        case INST: {
            // Not protocol 2, but name the global so the message is useful.
            if (op == INST) {
                const std::string module = readLine();
                const std::string name = readLine();
                forbidden(module, name);
            }
            if (m_stack.size() >= frameBase() + 2) {
                const Node* name = m_stack[m_stack.size() - 1];
                const Node* module = m_stack[m_stack.size() - 2];
                if (name->kind == Node::Kind::String && module->kind == Node::Kind::String)
                    forbidden(module->s, name->s);
            }
            corrupt("opcode STACK_GLOBAL is not allowed");
        }
        case BINPUT:
            memoPut(readLe(1));
            break;
        case MEMOIZE:
            protocol4("MEMOIZE");
            if (m_memo.size() >= std::numeric_limits<uint32_t>::max())
                corrupt("memo too large");
            memoPut(uint32_t(m_memo.size()));
            break;
        case FRAME: {
            // A length prefix for buffered reading; the whole pickle is in memory, so only checked.
            protocol4("FRAME");
            const uint64_t len = readLe64();
            if (len > m_size - m_pos)
                corrupt("frame of " + std::to_string(len) + " bytes runs past the end of the data");
            break;
        }
        case LONG_BINPUT:
            memoPut(readLe(4));
            break;
        case BINGET:
            memoGet(readLe(1));
            break;
        case LONG_BINGET:
            memoGet(readLe(4));
            break;
        case EMPTY_TUPLE:
            push(make(Node::Kind::Tuple));
            break;
        case TUPLE: {
            Node* t = make(Node::Kind::Tuple);
            t->items = popMark();
            push(t);
            break;
        }
        case TUPLE1:
        case TUPLE2:
        case TUPLE3: {
            const size_t n = size_t(op - TUPLE1 + 1);
            Node* t = make(Node::Kind::Tuple);
            t->items.resize(n);
            for (size_t k = n; k-- > 0;)
                t->items[k] = pop();
            push(t);
            break;
        }
        case EMPTY_LIST:
            push(make(Node::Kind::List));
            break;
        case APPEND: {
            Node* v = pop();
            Node* list = top();
            if (list->kind != Node::Kind::List)
                corrupt("APPEND to a non-list");
            list->items.push_back(v);
            break;
        }
        case APPENDS: {
            std::vector<Node*> items = popMark();
            Node* list = top();
            if (list->kind != Node::Kind::List)
                corrupt("APPENDS to a non-list");
            list->items.insert(list->items.end(), items.begin(), items.end());
            break;
        }
        case EMPTY_DICT:
            push(make(Node::Kind::Dict));
            break;
        case SETITEM: {
            Node* v = pop();
            Node* k = pop();
            setItem(top(), k, v);
            break;
        }
        case SETITEMS: {
            std::vector<Node*> items = popMark();
            if (items.size() % 2 != 0)
                corrupt("SETITEMS with an odd number of values");
            Node* dict = top();
            for (size_t k = 0; k < items.size(); k += 2)
                setItem(dict, items[k], items[k + 1]);
            break;
        }
        case BINUNICODE:
            push(readBlob(Node::Kind::String, readLe(4)));
            break;
        case SHORT_BINUNICODE:
            protocol4("SHORT_BINUNICODE");
            push(readBlob(Node::Kind::String, readLe(1)));
            break;
        case BINUNICODE8:
            protocol4("BINUNICODE8");
            push(readBlob(Node::Kind::String, readLe64()));
            break;
        case BINBYTES8:
            protocol4("BINBYTES8");
            push(readBlob(Node::Kind::Bytes, readLe64()));
            break;
        case EMPTY_SET:
            protocol4("EMPTY_SET");
            push(make(Node::Kind::Set));
            break;
        case ADDITEMS: {
            protocol4("ADDITEMS");
            std::vector<Node*> items = popMark();
            Node* set = top();
            if (set->kind != Node::Kind::Set)
                corrupt("ADDITEMS to a non-set");
            set->items.insert(set->items.end(), items.begin(), items.end());
            break;
        }
        case FROZENSET: {
            protocol4("FROZENSET");
            Node* set = make(Node::Kind::Set);
            set->items = popMark();
            push(set);
            break;
        }
        case NEWOBJ_EX: {
            // cls.__new__(cls, *args, **kwargs): none of the allowed globals is made this way.
            protocol4("NEWOBJ_EX");
            pop();
            pop();
            const Node* cls = pop();
            corrupt("NEWOBJ_EX (creating " + (cls->kind == Node::Kind::Global ? printable(cls->s) : std::string("an object")) +
                    ") is not allowed in a " + kindName());
        }
        case BININT: {
            Node* n = make(Node::Kind::Int);
            n->i = int32_t(readLe(4));
            push(n);
            break;
        }
        case BININT1:
        case BININT2: {
            Node* n = make(Node::Kind::Int);
            n->i = readLe(op == BININT1 ? 1 : 2);
            push(n);
            break;
        }
        case LONG1: {
            const size_t len = readLe(1);
            if (len > 8)
                corrupt("integer too large (" + std::to_string(len) + " bytes; at most 64-bit integers are supported)");
            need(len);
            uint64_t u = 0;
            for (size_t k = 0; k < len; ++k)
                u |= uint64_t(m_data[m_pos + k]) << (8 * k);
            if (len > 0 && len < 8 && (m_data[m_pos + len - 1] & 0x80))
                u |= ~uint64_t(0) << (8 * len);   // sign-extend
            m_pos += len;
            Node* n = make(Node::Kind::Int);
            std::memcpy(&n->i, &u, sizeof u);
            push(n);
            break;
        }
        case BINFLOAT: {
            need(8);
            uint64_t u = 0;
            for (size_t k = 0; k < 8; ++k)
                u = (u << 8) | m_data[m_pos + k];   // big-endian
            m_pos += 8;
            Node* n = make(Node::Kind::Float);
            std::memcpy(&n->f, &u, sizeof u);
            push(n);
            break;
        }
        case NEWTRUE:
        case NEWFALSE: {
            Node* n = make(Node::Kind::Bool);
            n->b = op == NEWTRUE;
            push(n);
            break;
        }
        case NONE:
            push(make(Node::Kind::None));
            break;
        case BINPERSID:
            if (m_globals == PickleGlobals::NumpyArrays)
                corrupt("persistent ids are not allowed in a NumPy array file");
            push(persistentLoad(pop()));
            break;
        case SHORT_BINBYTES:
        case BINBYTES: {
            if (m_globals != PickleGlobals::NumpyArrays)
                corrupt("opcode BINBYTES is not allowed in a state-dict checkpoint");
            push(readBlob(Node::Kind::Bytes, readLe(op == SHORT_BINBYTES ? 1 : 4)));
            break;
        }
        case REDUCE: {
            Node* args = pop();
            Node* callable = pop();
            push(reduce(callable, args));
            break;
        }
        case BUILD: {
            Node* state = pop();
            Node* target = top();
            if (m_globals == PickleGlobals::NumpyArrays) {
                if (target->kind == Node::Kind::NpDtype)
                    buildDtype(target, state);
                else if (target->kind == Node::Kind::NpArray)
                    buildArray(target, state);
                else
                    corrupt("BUILD is only allowed on numpy arrays and dtypes in a NumPy array file");
                break;
            }
            if (target->kind != Node::Kind::Dict || !target->ordered)
                corrupt("BUILD is only allowed on a collections.OrderedDict");
            if (state->kind != Node::Kind::Dict)
                corrupt("BUILD state must be a dictionary");
            for (const auto& [k, v] : state->entries) {
                if (k->kind != Node::Kind::String)
                    corrupt("BUILD state keys must be strings");
                target->attributes.emplace_back(k, v);
            }
            break;
        }
        default: {
            static const char* hex = "0123456789abcdef";
            std::string code = "0x";
            code.push_back(hex[op >> 4]);
            code.push_back(hex[op & 15]);
            corrupt("opcode " + code + " is not allowed in a state-dict checkpoint");
        }
        }
    }
    corrupt("unexpected end of data (no STOP opcode)");
}

} // namespace

PickleValue unpickle(const unsigned char* data, size_t size, const std::string& file, const std::string& what,
                     const UnpicklerLimits& limits, PickleGlobals globals)
{
    Machine m(data, size, file, what, limits, globals);
    return m.run();
}

} // namespace spooflens::core
