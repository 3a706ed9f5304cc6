"""``--chaos SPEC``: reading the spec, one-line refusals, the seeded draws, latency."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mock_server import Settings, create_app
from mock_server.mock._chaos import ChaosSpec, ChaosSpecError, Latency, draw
from mock_server.mock._faults import Fault


def test_a_spec_reads_as_written() -> None:
    spec = ChaosSpec.parse("500=5%, reset=1%,slow-body=0.5%,latency=uniform:50-200ms,dribble=3s")
    assert spec.outcomes == ((500, 0.05), (Fault.RESET, 0.01), (Fault.SLOW_BODY, 0.005))
    assert spec.dribble_s == 3.0
    assert str(spec) == "500=5%,reset=1%,slow-body=0.5%,latency=uniform:50ms-200ms,dribble=3000ms"
    assert ChaosSpec.parse(str(spec)) == spec


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("500", "is not NAME=VALUE"),
        ("reste=1%", "unknown item 'reste'; use a status (500), reset, empty"),
        ("500=5", "the rate is a percentage"),
        ("500=0%", "above 0% and at most 100%"),
        ("500=60%,reset=50%", "add up to 110%, more than 100%"),
        ("500=1%,500=2%", "500 is given twice"),
        ("latency=soon", "not a delay (120ms), fixed:120ms, uniform:50-200ms"),
        ("latency=uniform:200-50ms", "the low end is above the high end"),
        ("latency=p99:300ms/p50:40ms", "percentiles rise"),
        ("latency=p50:40ms/p99", "is not pNN:DURATION"),
        ("dribble=2", "is not a duration"),
    ],
)
def test_a_bad_spec_is_named_in_one_line(spec: str, says: str) -> None:
    with pytest.raises(ChaosSpecError) as caught:
        ChaosSpec.parse(spec)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def refusal(*args: str) -> str:
    """What ``python -m mock_server ARGS`` says on stderr; it must be one line, exit 2."""
    result = subprocess.run(
        [sys.executable, "-m", "mock_server", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def test_the_cli_refuses_a_bad_spec_with_exit_2() -> None:
    assert "--chaos: unknown item 'boom'" in refusal("--chaos", "500=5%,boom=1%")


def test_the_cli_refuses_an_undocumented_status_with_exit_2() -> None:
    said = refusal("--chaos", "503=5%")
    assert "--chaos: 503 is not an error POST /api-keys documents" in said


def test_create_app_refuses_an_undocumented_status() -> None:
    with pytest.raises(ValueError, match="503 is not an error"):
        create_app(Settings(chaos="503=5%"))
    with pytest.raises(ValueError, match="201 is not an error"):
        create_app(Settings(chaos="201=5%"))


def test_settings_take_a_spec_as_text() -> None:
    assert Settings(chaos="500=5%").chaos == ChaosSpec(((500, 0.05),))
    with pytest.raises(ChaosSpecError):
        Settings(chaos="500=500%")


def test_draws_depend_on_seed_and_sequence_only() -> None:
    assert draw(7, 3, b"outcome") == draw(7, 3, b"outcome")
    assert len({draw(7, n, b"outcome") for n in range(100)}) == 100
    assert draw(7, 3, b"outcome") != draw(8, 3, b"outcome")
    assert draw(7, 3, b"outcome") != draw(7, 3, b"latency")
    draws = [draw(1, n, b"outcome") for n in range(10_000)]
    assert all(0 <= u < 1 for u in draws)
    assert 0.04 < sum(u < 0.05 for u in draws) / len(draws) < 0.06  # rates hold


def test_outcomes_follow_the_rates_in_order() -> None:
    spec = ChaosSpec.parse("500=10%,reset=5%")
    assert spec.pick(0.0) == 500
    assert spec.pick(0.099) == 500
    assert spec.pick(0.1) is Fault.RESET
    assert spec.pick(0.149) is Fault.RESET
    assert spec.pick(0.151) is None


def test_latency_distributions() -> None:
    fixed = Latency.parse("120ms")
    assert fixed.at(0.0) == fixed.at(0.99) == 0.12
    uniform = Latency.parse("uniform:50-200ms")
    assert uniform.at(0.0) == pytest.approx(0.05)
    assert uniform.at(0.5) == pytest.approx(0.125)
    profile = Latency.parse("p50:40ms/p99:300ms")
    assert profile.at(0.25) == pytest.approx(0.02)
    assert profile.at(0.5) == pytest.approx(0.04)
    assert profile.at(0.99) == pytest.approx(0.3)
    assert profile.at(0.999) == pytest.approx(0.3)
    draws = sorted(profile.at(draw(0, n, b"latency")) for n in range(10_000))
    assert draws[4999] == pytest.approx(0.04, rel=0.05)
    assert draws[9899] == pytest.approx(0.3, rel=0.05)


def test_the_options_have_environment_twins(monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_server.server import _cli

    monkeypatch.setenv("APIKEYS_MOCK_CHAOS", "500=5%,latency=10ms")
    monkeypatch.setenv("APIKEYS_MOCK_CHAOS_SEED", "9")
    monkeypatch.setenv("APIKEYS_MOCK_RATE_LIMIT", "3/s")
    monkeypatch.setenv("APIKEYS_MOCK_RATE_LIMIT_KEY", "client")
    args = _cli.build_parser().parse_args([])
    assert str(args.chaos) == "500=5%,latency=fixed:10ms"
    assert (int(args.chaos_seed), str(args.rate_limit), args.rate_limit_key) == (
        9,
        "3/s",
        "client",
    )


def test_a_bad_environment_twin_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mock_server.server import _cli

    monkeypatch.setenv("APIKEYS_MOCK_CHAOS", "500=lots")
    with pytest.raises(SystemExit) as exit_info:
        _cli.main([])
    assert exit_info.value.code == _cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "APIKEYS_MOCK_CHAOS: 500=lots: the rate is a percentage" in err


def test_the_proxy_takes_no_chaos() -> None:
    said = refusal("--chaos", "500=5%", "--proxy", "http://127.0.0.1:9")
    assert "--chaos and --rate-limit shape the mock's answers, not the proxy's" in said
