#include "core/format/PickleWriter.h"

#include "core/Error.h"
#include "core/format/PickleOpcodes.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace spooflens::core {
namespace {

using namespace pickle;

class Writer {
public:
    std::string out;

    void op(unsigned char c) { out.push_back(char(c)); }
    void le(uint64_t v, size_t n)
    {
        for (size_t k = 0; k < n; ++k)
            out.push_back(char((v >> (8 * k)) & 0xff));
    }
    void global(const char* module, const char* name)
    {
        op(GLOBAL);
        out += module;
        out.push_back('\n');
        out += name;
        out.push_back('\n');
    }
    void str(const std::string& s)
    {
        op(BINUNICODE);
        le(s.size(), 4);
        out += s;
    }
    void integer(int64_t v)
    {
        if (v >= 0 && v < 256) {
            op(BININT1);
            le(uint64_t(v), 1);
        } else if (v >= 0 && v < 65536) {
            op(BININT2);
            le(uint64_t(v), 2);
        } else if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
            op(BININT);
            le(uint64_t(uint32_t(int32_t(v))), 4);
        } else {
            // Minimal two's complement, as Python's encode_long does.
            uint64_t u;
            std::memcpy(&u, &v, sizeof u);
            size_t n = 8;
            while (n > 1) {
                const unsigned char topByte = (u >> (8 * (n - 1))) & 0xff;
                const unsigned char nextSign = (u >> (8 * (n - 2) + 7)) & 1;
                if ((topByte == 0x00 && nextSign == 0) || (topByte == 0xff && nextSign == 1))
                    --n;
                else
                    break;
            }
            op(LONG1);
            le(n, 1);
            le(u, n);
        }
    }
    void tuple(const std::vector<int64_t>& v)
    {
        if (v.empty()) {
            op(EMPTY_TUPLE);
            return;
        }
        if (v.size() > 3)
            op(MARK);
        for (int64_t x : v)
            integer(x);
        op(v.size() > 3 ? static_cast<unsigned char>(TUPLE) : static_cast<unsigned char>(TUPLE1 + v.size() - 1));
    }
    void entries(const std::vector<std::pair<PickleValue, PickleValue>>& e, bool attributes = false)
    {
        for (size_t start = 0; start < e.size(); start += 1000) {
            op(MARK);
            for (size_t k = start; k < std::min(e.size(), start + 1000); ++k) {
                if (e[k].first.kind != ValueKind::String && (attributes || e[k].first.kind != ValueKind::Int))
                    throw CheckpointError(attributes ? "attribute names must be strings"
                                                     : "dictionary keys must be strings or integers");
                value(e[k].first);
                value(e[k].second);
            }
            op(SETITEMS);
        }
    }
    void value(const PickleValue& v)
    {
        switch (v.kind) {
        case PickleValue::Kind::None:
            op(NONE);
            break;
        case PickleValue::Kind::Bool:
            op(v.b ? NEWTRUE : NEWFALSE);
            break;
        case PickleValue::Kind::Int:
            integer(v.i);
            break;
        case PickleValue::Kind::Float: {
            op(BINFLOAT);
            uint64_t u;
            std::memcpy(&u, &v.f, sizeof u);
            for (int k = 7; k >= 0; --k)
                out.push_back(char((u >> (8 * k)) & 0xff));
            break;
        }
        case PickleValue::Kind::String:
            str(v.s);
            break;
        case PickleValue::Kind::Tuple:
            if (v.items.empty()) {
                op(EMPTY_TUPLE);
            } else {
                if (v.items.size() > 3)
                    op(MARK);
                for (const PickleValue& c : v.items)
                    value(c);
                op(v.items.size() > 3 ? static_cast<unsigned char>(TUPLE) : static_cast<unsigned char>(TUPLE1 + v.items.size() - 1));
            }
            break;
        case PickleValue::Kind::List:
            op(EMPTY_LIST);
            for (size_t start = 0; start < v.items.size(); start += 1000) {
                op(MARK);
                for (size_t k = start; k < std::min(v.items.size(), start + 1000); ++k)
                    value(v.items[k]);
                op(APPENDS);
            }
            break;
        case PickleValue::Kind::Dict:
            if (v.ordered) {
                global("collections", "OrderedDict");
                op(EMPTY_TUPLE);
                op(REDUCE);
            } else {
                op(EMPTY_DICT);
            }
            entries(v.entries);
            if (v.ordered && !v.attributes.empty()) {
                op(EMPTY_DICT);
                entries(v.attributes, /*attributes=*/true);
                op(BUILD);
            }
            break;
        case PickleValue::Kind::Tensor: {
            const TensorDesc& t = v.tensor;
            global("torch._utils", "_rebuild_tensor_v2");
            op(MARK);
            op(MARK);
            str("storage");
            global("torch", storageTypeName(t.dtype));
            str(t.storageKey);
            str("cpu");
            integer(t.storageNumel);
            op(TUPLE);
            op(BINPERSID);
            integer(t.offset);
            tuple(t.sizes);
            tuple(t.strides);
            op(t.requiresGrad ? NEWTRUE : NEWFALSE);
            global("collections", "OrderedDict");
            op(EMPTY_TUPLE);
            op(REDUCE);
            op(TUPLE);
            op(REDUCE);
            break;
        }
        }
    }
};

} // namespace

std::string pickleToString(const PickleValue& root)
{
    Writer w;
    w.op(PROTO);
    w.op(2);
    w.value(root);
    w.op(STOP);
    return std::move(w.out);
}

} // namespace spooflens::core
