"""Distribution families (sim.model.distributions): ppf, native samplers, parsing."""

import math

import numpy as np
import pytest
from scipy import stats

from sim.model.distributions import (
    FAMILIES,
    Beta,
    Discrete,
    Fixed,
    LogNormal,
    Normal,
    ParamError,
    Pert,
    Triangular,
    TruncNormal,
    Uniform,
    parse_dist,
)

U = np.concatenate([[0.0, 1e-9, 0.001], np.linspace(0.01, 0.99, 99), [0.999, 1 - 1e-9, 1.0]])
SEED = 20240601
N = 1000


def _pert_shapes(lo, mode, hi, lam):
    return 1 + lam * (mode - lo) / (hi - lo), 1 + lam * (hi - mode) / (hi - lo)


# (distribution, the matching frozen scipy.stats distribution)
SCIPY_CASES = [
    (Normal(0.08, 0.03), stats.norm(0.08, 0.03)),
    (TruncNormal(0.1, 0.05, 0.0, 0.2), stats.truncnorm(-2, 2, loc=0.1, scale=0.05)),
    (TruncNormal(0.0, 1.0, 0.5, 3.0), stats.truncnorm(0.5, 3.0)),
    (TruncNormal(0.0, 1.0, 4.0, 6.0), stats.truncnorm(4.0, 6.0)),
    (TruncNormal(0.0, 1.0, -6.0, -4.0), stats.truncnorm(-6.0, -4.0)),
    (TruncNormal(0.02, 0.01, low=0.0), stats.truncnorm(-2, np.inf, loc=0.02, scale=0.01)),
    (LogNormal(0.005, 1.0), stats.lognorm(1.0, scale=0.005)),
    (Uniform(0.5, 2.0), stats.uniform(0.5, 1.5)),
    (Triangular(-0.10, -0.03, 0.0), stats.triang(0.7, loc=-0.10, scale=0.10)),
    (Triangular(0.0, 0.0, 1.0), stats.triang(0.0, loc=0.0, scale=1.0)),
    (Triangular(0.0, 1.0, 1.0), stats.triang(1.0, loc=0.0, scale=1.0)),
    (Pert(0.05, 0.07, 0.10), stats.beta(*_pert_shapes(0.05, 0.07, 0.10, 4.0), loc=0.05, scale=0.05)),
    (Pert(0, 3, 10, lam=2.5), stats.beta(*_pert_shapes(0, 3, 10, 2.5), loc=0, scale=10)),
    (Beta(2.0, 5.0), stats.beta(2.0, 5.0)),
    (Beta(0.5, 0.5, 100.0, 300.0), stats.beta(0.5, 0.5, loc=100.0, scale=200.0)),
]


@pytest.mark.parametrize("dist, ref", SCIPY_CASES, ids=lambda x: str(x) if not hasattr(x, "dist") else "")
def test_ppf_matches_scipy(dist, ref):
    np.testing.assert_allclose(dist.ppf(U), ref.ppf(U), rtol=1e-9, atol=1e-12)
    assert dist.median() == pytest.approx(ref.median(), rel=1e-9, abs=1e-12)
    assert dist.quantile(0.05) == pytest.approx(ref.ppf(0.05), rel=1e-9, abs=1e-12)
    assert dist.mean() == pytest.approx(ref.mean(), rel=1e-9, abs=1e-12)
    lo, hi = dist.support()
    assert (lo, hi) == pytest.approx(ref.support())


def test_ppf_keeps_shape():
    u = np.full((3, 4), 0.25)
    for dist, _ref in SCIPY_CASES:
        assert dist.ppf(u).shape == (3, 4)
    assert Fixed(2.0).ppf(u).shape == (3, 4)
    assert np.all(Fixed(2.0).ppf(u) == 2.0)


def test_discrete_ppf_is_the_right_continuous_inverse():
    d = Discrete((1.0, 2.0, 5.0), (0.2, 0.3, 0.5))
    u = np.array([0.0, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9999, 1.0])
    np.testing.assert_array_equal(d.ppf(u), [1, 1, 2, 2, 5, 5, 5, 5])
    assert d.median() == 5.0
    assert d.mean() == pytest.approx(0.2 + 0.6 + 2.5)
    assert d.support() == (1.0, 5.0)


def test_discrete_sorts_values_and_ignores_zero_weights_in_support():
    d = Discrete((3.0, 1.0, 2.0, 9.0), (1.0, 2.0, 1.0, 0.0))
    assert d.values == (1.0, 2.0, 3.0, 9.0)
    assert d.weights == (2.0, 1.0, 1.0, 0.0)
    assert d.support() == (1.0, 3.0)
    assert d.cumw[-1] == 1.0


# Each case: a distribution and the DRAWS.md native call, written out with NumPy.
def _draws_cases():
    pert = Pert(0.05, 0.07, 0.10)
    a, b = _pert_shapes(0.05, 0.07, 0.10, 4.0)
    tn = TruncNormal(0.1, 0.05, 0.0, 0.2)
    disc = Discrete((0.0, 0.5, 1.0), (1.0, 2.0, 1.0))
    cumw = np.cumsum(np.array([1.0, 2.0, 1.0]) / 4.0)
    cumw[-1] = 1.0
    return [
        (Normal(-0.10, 0.05), lambda r: r.normal(-0.10, 0.05, N)),
        (tn, lambda r: stats.truncnorm.ppf(r.random(N), -2, 2, loc=0.1, scale=0.05)),
        (LogNormal(0.01, 1.0), lambda r: r.lognormal(math.log(0.01), 1.0, N)),
        (Uniform(0.05, 0.15), lambda r: r.uniform(0.05, 0.15, N)),
        (Triangular(-0.10, -0.03, 0.0), lambda r: r.triangular(-0.10, -0.03, 0.0, N)),
        (pert, lambda r: 0.05 + (0.10 - 0.05) * r.beta(a, b, N)),
        (Beta(2.0, 3.0, 1.0, 4.0), lambda r: 1.0 + (4.0 - 1.0) * r.beta(2.0, 3.0, N)),
        (disc, lambda r: np.array([0.0, 0.5, 1.0])[np.searchsorted(cumw, r.random(N), "right")]),
    ]


@pytest.mark.parametrize("dist, native", _draws_cases(), ids=lambda x: getattr(x, "family", ""))
def test_sample_follows_draws_protocol(dist, native):
    r1 = np.random.default_rng(SEED)
    r2 = np.random.default_rng(SEED)
    got = dist.sample(r1, N)
    want = native(r2)
    assert got.shape == (N,) and got.dtype == np.float64
    if dist.family == "truncnormal":  # own ppf formula: equal to scipy's to rounding
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_array_equal(got, want)
    # Both generators consumed exactly the same numbers.
    assert r1.random() == r2.random()


def test_truncnormal_sample_is_ppf_of_uniforms():
    tn = TruncNormal(0.0, 1.0, 4.0, 6.0)
    r1, r2 = np.random.default_rng(SEED), np.random.default_rng(SEED)
    np.testing.assert_array_equal(tn.sample(r1, N), tn.ppf(r2.random(N)))


def test_fixed_draws_nothing():
    r1, r2 = np.random.default_rng(SEED), np.random.default_rng(SEED)
    for d in (Fixed(3.0), Normal(1.0, 0.0), Uniform(2.0, 2.0), Discrete((4.0, 5.0), (1.0, 0.0))):
        assert d.is_fixed
        x = d.sample(r1, 5)
        assert np.all(x == x[0]) and x.shape == (5,)
    assert r1.random() == r2.random()


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"dist": "normal", "mean": 0.1, "sd": 0}, 0.1),
        ({"dist": "truncnormal", "mean": 0.3, "sd": 0, "low": 0, "high": 0.2}, 0.2),
        ({"dist": "truncnormal", "mean": 0.3, "sd": 1, "low": 0.5, "high": 0.5}, 0.5),
        ({"dist": "lognormal", "median": 2, "sigma": 0}, 2.0),
        ({"dist": "uniform", "low": 3, "high": 3}, 3.0),
        ({"dist": "triangular", "min": 1, "mode": 1, "max": 1}, 1.0),
        ({"dist": "pert", "min": 1, "mode": 1, "max": 1}, 1.0),
        ({"dist": "beta", "a": 2, "b": 2, "low": 4, "high": 4}, 4.0),
        ({"dist": "discrete", "values": [7]}, 7.0),
        ({"dist": "discrete", "values": [7, 8], "weights": [0, 1]}, 8.0),
        ({"dist": "fixed", "value": "5%"}, 0.05),
        (0.05, 0.05),
        ("5%", 0.05),
    ],
)
def test_zero_spread_is_fixed(value, expected):
    d = parse_dist(value)
    assert d == Fixed(expected)
    assert d.is_fixed and d.median() == expected and d.support() == (expected, expected)


def test_money_parsing_inside_tables():
    assert parse_dist("3.4B", money=True) == Fixed(3400.0)
    d = parse_dist({"dist": "normal", "mean": "2.6B", "sd": "300M"}, money=True)
    assert d == Normal(2600.0, 300.0)
    # Shape entries stay plain numbers even for money.
    assert parse_dist({"dist": "lognormal", "median": "1B", "sigma": 0.5}, money=True) == LogNormal(1000.0, 0.5)
    assert parse_dist({"dist": "discrete", "values": ["1B", "2B"], "weights": [1, 3]}, money=True) == Discrete(
        (1000.0, 2000.0), (1.0, 3.0)
    )
    # Percent strings for plain numbers.
    assert parse_dist({"dist": "uniform", "low": "3%", "high": "5%"}) == Uniform(0.03, 0.05)


ALL = [d for d, _ in SCIPY_CASES] + [Discrete((0.0, 1.0), (1.0, 3.0)), Fixed(2.5)]


@pytest.mark.parametrize("dist", ALL, ids=str)
def test_to_dict_round_trip(dist):
    assert parse_dist(dist.to_dict()) == dist
    assert parse_dist(dist) is dist


def test_to_dict_and_str_forms():
    assert Fixed(450.0).to_dict() == 450.0
    assert Pert(0.05, 0.07, 0.1).to_dict() == {"dist": "pert", "min": 0.05, "mode": 0.07, "max": 0.1}
    assert str(Pert(0.05, 0.07, 0.1)) == "pert(min=0.05, mode=0.07, max=0.1)"
    assert str(Pert(0.05, 0.07, 0.1, lam=3)) == "pert(min=0.05, mode=0.07, max=0.1, lambda=3)"
    assert Pert(0, 1, 2, lam=3).to_dict()["lambda"] == 3.0
    assert str(TruncNormal(0.1, 0.02, low=0)) == "truncnormal(mean=0.1, sd=0.02, low=0)"
    assert str(Discrete((1.0, 2.0), (1.0, 1.0))) == "discrete(values=[1, 2], weights=[1, 1])"
    assert str(Fixed(3400.0)) == "fixed(value=3400)"
    assert Normal(0.08, 0.03).params() == {"mean": 0.08, "sd": 0.03}
    assert repr(Normal(0.08, 0.03)) == "Normal(mean=0.08, sd=0.03)"


def test_families_and_aliases():
    assert list(FAMILIES) == [
        "fixed", "normal", "truncnormal", "lognormal", "uniform", "triangular", "pert", "beta", "discrete",
    ]
    assert all(cls.family == name for name, cls in FAMILIES.items())
    assert parse_dist({"dist": "Pert", "min": 0, "mode": 1, "max": 2, "lam": 3}) == Pert(0, 1, 2, 3)
    assert parse_dist({"dist": "pert", "min": 0, "mode": 1, "max": 2, "lambda": 3}) == Pert(0, 1, 2, 3)


KNOWN = "fixed, normal, truncnormal, lognormal, uniform, triangular, pert, beta, discrete"


@pytest.mark.parametrize(
    "value, key, message",
    [
        ({"dist": "nromal", "mean": 0, "sd": 1}, "dist", f"unknown distribution 'nromal' (did you mean 'normal'? known: {KNOWN})"),
        ({"dist": "zzz"}, "dist", f"unknown distribution 'zzz' (known: {KNOWN})"),
        ({"mean": 0, "sd": 1}, "", f"a distribution table needs a 'dist' key (one of {KNOWN})"),
        ({"dist": "normal", "mean": 0, "sigma": 1}, "sigma", "unknown key 'sigma' for normal (allowed: mean, sd)"),
        ({"dist": "normal", "mean": 0}, "", "normal needs mean, sd (missing: sd)"),
        ({"dist": "normal", "mean": 0, "sd": -0.1}, "sd", "normal needs sd >= 0 (got sd=-0.1)"),
        ({"dist": "normal", "mean": "abc", "sd": 1}, "mean", "expected a number, got 'abc'"),
        ({"dist": "lognormal", "median": 0.01, "sigma": -1}, "sigma", "lognormal needs sigma >= 0 (got sigma=-1)"),
        ({"dist": "lognormal", "median": 0, "sigma": 1}, "median", "lognormal needs median > 0 (got median=0)"),
        ({"dist": "uniform", "low": 0.5, "high": 0.2}, "", "uniform needs low <= high (got low=0.5, high=0.2)"),
        (
            {"dist": "pert", "min": 0.05, "mode": 0.12, "max": 0.1},
            "",
            "pert needs min <= mode <= max (got min=0.05, mode=0.12, max=0.1)",
        ),
        (
            {"dist": "triangular", "min": 0, "mode": -1, "max": 1},
            "",
            "triangular needs min <= mode <= max (got min=0, mode=-1, max=1)",
        ),
        ({"dist": "pert", "min": 0, "mode": 1, "max": 2, "lambda": 0}, "lambda", "pert needs lambda > 0 (got lambda=0)"),
        ({"dist": "beta", "a": 0, "b": 1}, "", "beta needs a > 0 and b > 0 (got a=0, b=1)"),
        ({"dist": "beta", "a": 1, "b": 1, "low": 2, "high": 1}, "", "beta needs low <= high (got low=2, high=1)"),
        ({"dist": "discrete", "values": [], "weights": []}, "values", "discrete needs at least one value"),
        (
            {"dist": "discrete", "values": [1, 2], "weights": [1]},
            "",
            "discrete needs as many weights as values (got 2 values, 1 weights)",
        ),
        ({"dist": "discrete", "values": [1, 2], "weights": [1, -1]}, "weights", "discrete needs weights >= 0 with a positive sum"),
        ({"dist": "discrete", "values": [1, 2], "weights": [0, 0]}, "weights", "discrete needs weights >= 0 with a positive sum"),
        ({"dist": "discrete", "values": 1}, "values", "discrete values must be an array (got 1)"),
        ({"dist": "truncnormal", "mean": 0, "sd": -1, "low": 0, "high": 1}, "sd", "truncnormal needs sd >= 0 (got sd=-1)"),
        ({"dist": "truncnormal", "mean": 0, "sd": 1, "low": 1, "high": 0}, "", "truncnormal needs low < high (got low=1, high=0)"),
        (
            {"dist": "truncnormal", "mean": 0, "sd": 1, "low": 50, "high": 60},
            "",
            "truncnormal has no probability mass between low and high (the interval lies more than 37 sd from the mean)",
        ),
    ],
)
def test_parse_dist_errors(value, key, message):
    with pytest.raises(ValueError) as err:
        parse_dist(value)
    assert str(err.value) == message
    assert getattr(err.value, "key", "") == key


def test_money_errors_in_tables():
    with pytest.raises(ParamError) as err:
        parse_dist({"dist": "uniform", "low": "1Q", "high": "2B"}, money=True)
    assert err.value.key == "low"
    assert str(err.value).startswith("malformed money '1Q'")


def test_parameter_attributes_double_as_methods():
    n = Normal(0.08, 0.03)
    assert n.mean == 0.08 and n.mean() == 0.08 and isinstance(n.mean, float)
    t = TruncNormal(0.0, 1.0, 0.0)
    assert t.mean == 0.0  # the parameter
    assert t.mean() == pytest.approx(math.sqrt(2 / math.pi))  # the truncated mean
    ln = LogNormal(0.01, 1.0)
    assert math.log(ln.median) == math.log(0.01)
    assert ln.median() == pytest.approx(0.01, rel=1e-15)
    assert [n.mean, n.sd] == [0.08, 0.03]
    assert Pert(0, 1, 3).lam == 4.0 and Pert(0, 1, 3).alpha == 1 + 4 * 1 / 3
