#include "core/explain/Attribution.h"

#include "core/Error.h"

#include <algorithm>
#include <numeric>

namespace spooflens::core {

namespace {

struct MethodEntry {
    AttributionMethod method;
    const char* name;
};

constexpr MethodEntry kMethods[] = {
    {AttributionMethod::Stage2, "stage2"},
    {AttributionMethod::Stage2Contrast, "stage2-contrast"},
    {AttributionMethod::Occlusion, "occlusion"},
    {AttributionMethod::GradXInput, "gradxinput"},
    {AttributionMethod::IntegratedGradients, "ig"},
    {AttributionMethod::Rollout, "rollout"},
    {AttributionMethod::Gatr, "gatr"},
    {AttributionMethod::Random, "random"},
    {AttributionMethod::Window, "window"},
    {AttributionMethod::WaveOcclusion, "wave-occlusion"},
    {AttributionMethod::WaveGradXInput, "wave-gradxinput"},
};

} // namespace

std::string methodName(AttributionMethod m)
{
    for (const auto& e : kMethods)
        if (e.method == m)
            return e.name;
    return "unknown";
}

AttributionMethod parseMethod(const std::string& text)
{
    std::string valid;
    for (const auto& e : kMethods) {
        if (text == e.name)
            return e.method;
        valid += valid.empty() ? "" : ", ";
        valid += e.name;
    }
    throw ConfigError("unknown explainer method '" + text + "' (valid: " + valid + ")");
}

const std::vector<AttributionMethod>& allMethods()
{
    static const std::vector<AttributionMethod> all = [] {
        std::vector<AttributionMethod> v;
        for (const auto& e : kMethods)
            v.push_back(e.method);
        return v;
    }();
    return all;
}

bool methodNeedsWaveform(AttributionMethod m)
{
    return m == AttributionMethod::Window || m == AttributionMethod::WaveOcclusion
           || m == AttributionMethod::WaveGradXInput;
}

bool methodNeedsStage2(AttributionMethod m)
{
    return m == AttributionMethod::Stage2 || m == AttributionMethod::Stage2Contrast;
}

std::vector<double> faithfulnessFractions()
{
    std::vector<double> f;
    for (int i = 0; i <= 20; ++i)
        f.push_back(i / 20.0);
    return f;
}

std::vector<double> roadFractions()
{
    std::vector<double> f;
    for (int i = 0; i <= 9; ++i)
        f.push_back(i / 10.0);
    return f;
}

std::vector<ImputationSource> linearImputation(const std::vector<uint8_t>& removed)
{
    const int64_t n = int64_t(removed.size());
    std::vector<ImputationSource> out(removed.size());
    if (n > 0 && std::all_of(removed.begin(), removed.end(), [](uint8_t r) { return r != 0; }))
        throw ConfigError("linear imputation: every one of the " + std::to_string(n)
                          + " frames is removed; nothing is left to impute from");
    for (int64_t t = 0; t < n;) {
        if (!removed[size_t(t)]) {
            ++t;
            continue;
        }
        int64_t e = t;
        while (e < n && removed[size_t(e)])
            ++e;
        const int64_t left = t - 1, right = e < n ? e : -1;  // kept frames around the run [t, e)
        for (int64_t k = t; k < e; ++k) {
            ImputationSource& s = out[size_t(k)];
            if (left >= 0 && right >= 0) {
                s = {left, right, double(k - left) / double(right - left)};
            } else {
                const int64_t only = left >= 0 ? left : right;
                s = {only, only, 0.0};
            }
        }
        t = e;
    }
    return out;
}

std::vector<int64_t> attributionOrder(const std::vector<float>& values)
{
    std::vector<int64_t> order(values.size());
    std::iota(order.begin(), order.end(), int64_t(0));
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        const float va = values[size_t(a)], vb = values[size_t(b)];
        const bool na = std::isnan(va), nb = std::isnan(vb);
        if (na != nb)
            return nb;  // non-NaN first
        if (na)
            return false;
        return va > vb;
    });
    return order;
}

double trapezoidAuc(const std::vector<double>& x, const std::vector<double>& y)
{
    const size_t n = std::min(x.size(), y.size());
    double area = 0;
    for (size_t i = 1; i < n; ++i)
        area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) * 0.5;
    return area;
}

} // namespace spooflens::core
