// ctest-labels: fast
// Round trips with Debian's python3-torch: our writeCheckpoint -> torch.load,
// and torch.save (state dicts, Stage-2-like dicts with AdamW state, views,
// shared storages, every storage dtype) -> our readCheckpoint.
// torch before any Qt header: Qt's `slots` macro breaks torch's headers.
#include <torch/torch.h>

#include "core/Error.h"
#include "core/checkpoint/Checkpoint.h"
#include "tests/support/TestData.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstdlib>

using namespace spooflens::core;
using spooflens::test::pythonWithTorch;

namespace {

// Describes any torch.load result as JSON that C++ can compare exactly:
// ints as decimal strings, floats as float.hex(), tensors with dtype, shape
// and every value.
const char* kDescribePy = R"PY(
import collections, json, sys, torch

def num(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return str(v)
    return float(v).hex()

def desc(o):
    if isinstance(o, torch.Tensor):
        t = o.detach()
        vals = t.float() if t.dtype in (torch.float16, torch.bfloat16) else t
        return {"tensor": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                "values": [num(v) for v in vals.flatten().tolist()]}
    if isinstance(o, bool):
        return {"bool": o}
    if isinstance(o, int):
        return {"int": str(o)}
    if isinstance(o, float):
        return {"float": o.hex()}
    if isinstance(o, str):
        return {"str": o}
    if o is None:
        return {"none": True}
    if isinstance(o, tuple):
        return {"tuple": [desc(x) for x in o]}
    if isinstance(o, list):
        return {"list": [desc(x) for x in o]}
    if isinstance(o, dict):
        d = {"dict": "OrderedDict" if isinstance(o, collections.OrderedDict) else "dict",
             "items": [[desc(k), desc(v)] for k, v in o.items()]}
        md = getattr(o, "_metadata", None)
        if md is not None:
            d["metadata"] = desc(md)
        return d
    raise TypeError("cannot describe %r" % type(o))

def describe_file(pth, out, weights_only):
    obj = torch.load(pth, map_location="cpu", weights_only=weights_only) if weights_only else torch.load(pth, map_location="cpu")
    with open(out, "w") as f:
        json.dump(desc(obj), f)
)PY";

// Saves a state dict and a Stage-2-like training checkpoint with torch.save.
const char* kSavePy = R"PY(
import collections, sys, torch
torch.manual_seed(7)
d = sys.argv[1]

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.LayerNorm(5), torch.nn.ReLU(), torch.nn.Linear(5, 1))
        self.bn = torch.nn.BatchNorm1d(5)
        self.register_buffer("prototypes", torch.nn.functional.normalize(torch.randn(2, 6), dim=1))

    def forward(self, x):
        return self.net(x)

net = Net()
sd = net.state_dict()
torch.save(sd, d + "/sd.pth")
describe_file(d + "/sd.pth", d + "/sd.json", False)

opt = torch.optim.AdamW(net.parameters(), lr=1e-4, weight_decay=1e-4, betas=(0.9, 0.999), eps=1e-8)
net(torch.randn(4, 6)).sum().backward()
opt.step()
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
stage2 = {
    "format": "spooflens-stage2",
    "epoch": 3, "global_step": 1234567, "big": 2**40, "neg": -129, "minus_one": -1,
    "best_eer": 0.0321, "tiny": 1e-300, "inf": float("inf"), "neg_zero": -0.0,
    "flags": [True, False, None], "nested": {"a": [1, (2, 3.5)], 7: "seven", "empty": {}, "empty_list": [], "empty_tuple": ()},
    "unicode": "caf\u00e9 \u2713",
    "model": net.state_dict(),
    "optimizer": opt.state_dict(),
    "half": torch.randn(3, 2).half(), "bf16": torch.randn(5).bfloat16(), "f64": torch.randn(2, 2).double(),
    "i32": torch.tensor([1, -2, 3], dtype=torch.int32), "i16": torch.tensor([-7, 8], dtype=torch.int16),
    "i8": torch.tensor([-128, 127], dtype=torch.int8), "u8": torch.tensor([0, 255], dtype=torch.uint8),
    "mask": torch.tensor([True, False, True]),
    "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3),
    "view_strided": base[:, 1::2], "view_t": base.t(), "view_row": base[2], "base": base,
}
torch.save(stage2, d + "/stage2.pth")
describe_file(d + "/stage2.pth", d + "/stage2.json", False)
)PY";

struct PyResult {
    bool ok = false;
    QString output;
};

PyResult runPython(const QString& script, const QStringList& args)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(pythonWithTorch(), QStringList{"-c", script} + args);
    PyResult r;
    if (!p.waitForFinished(180000)) {
        p.kill();
        p.waitForFinished();
        r.output = "python timed out";
        return r;
    }
    r.output = QString::fromLocal8Bit(p.readAll());
    r.ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    return r;
}

QJsonValue readJson(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

double parseHex(const QJsonValue& v) { return std::strtod(v.toString().toLatin1().constData(), nullptr); }

bool sameDouble(double a, double b)
{
    if (std::isnan(a) || std::isnan(b))
        return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
}

std::string dtypeName(torch::ScalarType t)
{
    switch (t) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kInt16: return "int16";
    case torch::kInt8: return "int8";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    default: return c10::toString(t);
    }
}

// Empty if `v` equals the Python description `j`, else where they differ.
QString mismatch(const Value& v, const QJsonValue& jv, const QString& at)
{
    const QJsonObject j = jv.toObject();
    auto bad = [&](const QString& why) { return at + ": " + why; };
    switch (v.kind) {
    case Value::Kind::None:
        return j.contains("none") ? QString() : bad("expected None");
    case Value::Kind::Bool:
        return j.contains("bool") && j["bool"].toBool() == v.b ? QString() : bad("bool differs");
    case Value::Kind::Int:
        return j["int"].toString() == QString::number(v.i) ? QString() : bad("int differs: " + QString::number(v.i));
    case Value::Kind::Float:
        return j.contains("float") && sameDouble(parseHex(j["float"]), v.f) ? QString() : bad("float differs");
    case Value::Kind::String:
        return j.contains("str") && j["str"].toString() == QString::fromStdString(v.s) ? QString() : bad("str differs");
    case Value::Kind::Tuple:
    case Value::Kind::List: {
        const QJsonArray a = j[v.kind == Value::Kind::Tuple ? "tuple" : "list"].toArray();
        if (!j.contains(v.kind == Value::Kind::Tuple ? "tuple" : "list") || a.size() != int(v.items.size()))
            return bad("sequence kind or length differs");
        for (size_t i = 0; i < v.items.size(); ++i) {
            const QString m = mismatch(v.items[i], a[int(i)], at + "[" + QString::number(i) + "]");
            if (!m.isEmpty())
                return m;
        }
        return {};
    }
    case Value::Kind::Dict: {
        if (j["dict"].toString() != (v.ordered ? "OrderedDict" : "dict"))
            return bad("dict kind differs (" + j["dict"].toString() + ")");
        const QJsonArray items = j["items"].toArray();
        if (items.size() != int(v.entries.size()))
            return bad("dict size differs");
        for (size_t i = 0; i < v.entries.size(); ++i) {
            const QJsonArray kv = items[int(i)].toArray();
            QString m = mismatch(v.entries[i].first, kv[0], at + "{key " + QString::number(i) + "}");
            if (m.isEmpty())
                m = mismatch(v.entries[i].second, kv[1], at + "/" + QString::fromStdString(v.entries[i].first.s));
            if (!m.isEmpty())
                return m;
        }
        const Value* meta = nullptr;
        for (const auto& [k, a] : v.attributes)
            if (k.s == "_metadata")
                meta = &a;
        if (j.contains("metadata") != (meta != nullptr))
            return bad("_metadata presence differs");
        return meta ? mismatch(*meta, j["metadata"], at + "._metadata") : QString();
    }
    case Value::Kind::Tensor: {
        const torch::Tensor& t = v.tensor;
        if (j["tensor"].toString() != QString::fromStdString(dtypeName(t.scalar_type())))
            return bad("dtype differs: " + j["tensor"].toString() + " vs " + QString::fromStdString(dtypeName(t.scalar_type())));
        const QJsonArray shape = j["shape"].toArray();
        if (shape.size() != int(t.dim()))
            return bad("rank differs");
        for (int d = 0; d < shape.size(); ++d)
            if (shape[d].toInteger() != t.size(d))
                return bad("shape differs");
        const QJsonArray values = j["values"].toArray();
        if (values.size() != int(t.numel()))
            return bad("element count differs");
        const torch::Tensor flat = t.contiguous().view(-1);
        for (int64_t i = 0; i < flat.numel(); ++i) {
            const QJsonValue e = values[int(i)];
            bool same = false;
            if (t.scalar_type() == torch::kBool)
                same = e.toBool() == flat[i].item<bool>();
            else if (t.is_floating_point())
                same = sameDouble(parseHex(e), flat[i].to(torch::kFloat64).item<double>());
            else
                same = e.toString() == QString::number(flat[i].item<int64_t>());
            if (!same)
                return bad("value " + QString::number(i) + " differs");
        }
        return {};
    }
    }
    return bad("unknown kind");
}

// A C++-built checkpoint with every value kind the writer supports.
Value richValue()
{
    torch::manual_seed(11);
    Value sd = Value::dict(true);
    sd.set("layer.weight", Value::fromTensor(torch::randn({3, 4})));
    sd.set("layer.bias", Value::fromTensor(torch::randn({3})));
    sd.set("bn.num_batches_tracked", Value::fromTensor(torch::tensor(int64_t(4321))));
    Value meta = Value::dict(true);
    Value version = Value::dict(false);
    version.set("version", Value::integer(1));
    meta.set("", version);
    meta.set("layer", version);
    sd.attributes.emplace_back(Value::string("_metadata"), meta);

    Value state0 = Value::dict(false);
    state0.set("step", Value::fromTensor(torch::tensor(1.0f)));
    state0.set("exp_avg", Value::fromTensor(torch::randn({3, 4})));
    Value states = Value::dict(false);
    states.entries.emplace_back(Value::integer(0), state0);
    Value group = Value::dict(false);
    group.set("lr", Value::real(1e-4));
    group.set("betas", Value::tuple({Value::real(0.9), Value::real(0.999)}));
    group.set("eps", Value::real(1e-8));
    group.set("amsgrad", Value::boolean(false));
    group.set("foreach", Value::none());
    group.set("params", Value::list({Value::integer(0), Value::integer(1)}));
    Value optimizer = Value::dict(false);
    optimizer.set("state", states);
    optimizer.set("param_groups", Value::list({group}));

    Value root = Value::dict(false);
    root.set("model", sd);
    root.set("optimizer", optimizer);
    root.set("ints", Value::list({Value::integer(0), Value::integer(255), Value::integer(256), Value::integer(65535),
                                  Value::integer(65536), Value::integer(-1), Value::integer(-129),
                                  Value::integer(2147483647), Value::integer(2147483648LL), Value::integer(-2147483648LL),
                                  Value::integer(-2147483649LL), Value::integer(int64_t(1) << 40),
                                  Value::integer(std::numeric_limits<int64_t>::max()),
                                  Value::integer(std::numeric_limits<int64_t>::min())}));
    root.set("floats", Value::tuple({Value::real(0.0), Value::real(-0.0), Value::real(1.0 / 3.0), Value::real(1e300),
                                     Value::real(-2.5e-310), Value::real(std::numeric_limits<double>::infinity())}));
    root.set("unicode", Value::string("caf\xc3\xa9 \xe2\x9c\x93"));
    root.set("empty", Value::string(""));
    root.set("nothing", Value::list({}));
    root.set("unit", Value::tuple({}));
    root.set("four", Value::tuple({Value::integer(1), Value::integer(2), Value::integer(3), Value::integer(4)}));
    root.set("t_f16", Value::fromTensor(torch::randn({2, 3}).to(torch::kFloat16)));
    root.set("t_bf16", Value::fromTensor(torch::randn({4}).to(torch::kBFloat16)));
    root.set("t_f64", Value::fromTensor(torch::randn({2, 2}, torch::kFloat64)));
    root.set("t_i32", Value::fromTensor(torch::tensor({1, -2, 3}, torch::kInt32)));
    root.set("t_i16", Value::fromTensor(torch::tensor({-7, 8}, torch::kInt16)));
    root.set("t_i8", Value::fromTensor(torch::tensor({-128, 127}, torch::kInt8)));
    root.set("t_u8", Value::fromTensor(torch::tensor({0, 255}, torch::kUInt8)));
    root.set("t_bool", Value::fromTensor(torch::tensor({true, false, true})));
    root.set("t_empty", Value::fromTensor(torch::zeros({0, 3})));
    root.set("t_transposed", Value::fromTensor(torch::arange(12, torch::kFloat32).reshape({3, 4}).t()));
    return root;
}

} // namespace

class TestCheckpointRoundTrip : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        if (pythonWithTorch().isEmpty())
            QSKIP("no python3 with torch and numpy: round trips with torch.load/torch.save cannot run");
        QVERIFY(m_dir.isValid());
    }

    void oursToTorchLoad()
    {
        const Value root = richValue();
        const QString pth = m_dir.filePath("ours.pth");
        writeCheckpoint(pth.toStdString(), root);
        QVERIFY(!QFile::exists(pth + ".tmp"));
        // (torch 1.13's weights_only unpickler lacks BINFLOAT, which any float needs.)
        const PyResult r = runPython(QString(kDescribePy) + "\ndescribe_file(sys.argv[1], sys.argv[2], False)\n",
                                     {pth, m_dir.filePath("ours.json")});
        QVERIFY2(r.ok, qPrintable(r.output));
        const QString m = mismatch(root, readJson(m_dir.filePath("ours.json")), "root");
        QVERIFY2(m.isEmpty(), qPrintable(m));
        // The comparison itself notices a one-ulp change in one tensor element.
        Value changed = root;
        torch::Tensor w = changed.find("model")->find("layer.weight")->tensor.clone();
        w[1][2] = std::nextafter(w[1][2].item<float>(), 1e9f);
        changed.find("model")->find("layer.weight")->tensor = w;
        QVERIFY(!mismatch(changed, readJson(m_dir.filePath("ours.json")), "root").isEmpty());

        // And we read our own file back to the same values (dtypes kept).
        CheckpointReadOptions keep;
        keep.convertToFloat32 = false;
        const CheckpointContents back = readCheckpoint(pth.toStdString(), keep);
        QCOMPARE(QString::fromStdString(back.archiveName), QStringLiteral("ours"));
        const QString m2 = mismatch(back.root, readJson(m_dir.filePath("ours.json")), "root");
        QVERIFY2(m2.isEmpty(), qPrintable(m2));
    }

    void torchSaveToOurs()
    {
        const PyResult r = runPython(QString(kDescribePy) + kSavePy, {m_dir.path()});
        QVERIFY2(r.ok, qPrintable(r.output));
        CheckpointReadOptions keep;
        keep.convertToFloat32 = false;
        for (const char* name : {"sd", "stage2"}) {
            const QString pth = m_dir.filePath(QString(name) + ".pth");
            const CheckpointContents c = readCheckpoint(pth.toStdString(), keep);
            QVERIFY(c.notes.empty());
            const QString m = mismatch(c.root, readJson(m_dir.filePath(QString(name) + ".json")), name);
            QVERIFY2(m.isEmpty(), qPrintable(m));
        }
        // A state dict reads as a tensor list in stored order.
        const TensorList sd = readStateDict(m_dir.filePath("sd.pth").toStdString());
        QCOMPARE(QString::fromStdString(sd.front().first), QStringLiteral("prototypes"));

        // Default options convert float16/bfloat16/float64 to float32 and say so.
        const CheckpointContents conv = readCheckpoint(m_dir.filePath("stage2.pth").toStdString());
        QCOMPARE(int(conv.notes.size()), 3);
        QCOMPARE(conv.root.find("half")->tensor.scalar_type(), torch::kFloat32);
        QCOMPARE(conv.root.find("f64")->tensor.scalar_type(), torch::kFloat32);
        QCOMPARE(conv.root.find("i32")->tensor.scalar_type(), torch::kInt32);
        const QString notes = QString::fromStdString(conv.notes[0] + "|" + conv.notes[1] + "|" + conv.notes[2]);
        QVERIFY2(notes.contains("1 float16 tensor to float32") && notes.contains("bfloat16") && notes.contains("float64"),
                 qPrintable(notes));

        // Views of one storage come out as independent, contiguous tensors.
        const Value* strided = conv.root.find("view_strided");
        QVERIFY(strided && strided->tensor.is_contiguous());
        QCOMPARE(strided->tensor.sizes().vec(), (std::vector<int64_t>{4, 3}));
        QCOMPARE(strided->tensor[1][2].item<float>(), 11.0f);
    }

    void torchSaveThroughOursBackToTorch()
    {
        // stage2.pth (from torchSaveToOurs) -> our reader -> our writer -> torch.load: same values.
        CheckpointReadOptions keep;
        keep.convertToFloat32 = false;
        const CheckpointContents c = readCheckpoint(m_dir.filePath("stage2.pth").toStdString(), keep);
        QVERIFY(QFile::exists(m_dir.filePath("stage2.pth")));
        const QString again = m_dir.filePath("stage2_again.pth");
        writeCheckpoint(again.toStdString(), c.root);
        const PyResult r = runPython(QString(kDescribePy) + "\ndescribe_file(sys.argv[1], sys.argv[2], False)\n",
                                     {again, m_dir.filePath("stage2_again.json")});
        QVERIFY2(r.ok, qPrintable(r.output));
        QCOMPARE(readJson(m_dir.filePath("stage2_again.json")), readJson(m_dir.filePath("stage2.json")));
    }

    void writeStateDictIsLoadableByModules()
    {
        const TensorList sd = readStateDict(spooflens::test::dataPath("fixtures/xai_tiny.pth"));
        const QString pth = m_dir.filePath("xai_copy.pth");
        writeStateDict(pth.toStdString(), sd);
        const char* script = R"PY(
import sys, torch
a = torch.load(sys.argv[1], weights_only=True)
b = torch.load(sys.argv[2], weights_only=True)
assert list(a.keys()) == list(b.keys()), (list(a.keys()), list(b.keys()))
for k in a:
    assert a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]), k
import zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
for i in z.infolist():
    assert i.compress_type == 0
    with open(sys.argv[1], "rb") as f:
        f.seek(i.header_offset + 26)
        n, e = int.from_bytes(f.read(2), "little"), int.from_bytes(f.read(2), "little")
    assert (i.header_offset + 30 + n + e) % 64 == 0, i.filename
print("ok")
)PY";
        const PyResult r = runPython(script, {pth, QString::fromStdString(spooflens::test::dataPath("fixtures/xai_tiny.pth"))});
        QVERIFY2(r.ok, qPrintable(r.output));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestCheckpointRoundTrip)
#include "TestCheckpointRoundTrip.moc"
