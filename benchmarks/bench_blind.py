"""Protocol v2 end to end: hash to ristretto255 and both blindings, both sides together.

    python -m benchmarks.run --only blind        # in the table (make bench)
    python -m benchmarks.bench_blind --attack    # the million-candidate dictionary run

Each side has ``N`` SHA-256-hexed emails (half of them shared). Timed: A hashes to the
group and blinds its own (a * H), B the same (b * H), then each blinds the other's
points (every point checked first), and the doubly blinded sets are intersected.
Identifiers per second = (N_A + N_B) / wall-clock seconds, on every core (threads take
pieces of each batch in turn; ``protocols.ristretto_native`` calls libsodium with the GIL
released: its compiled kernel, or ctypes loops where it is not built; the row names
which path ran).
On a shared machine the wall-clock rate says how busy the machine was; the rate per
CPU-second (this process, all its threads) does not, and times the usable cores it is
what idle cores give.

Baseline, same run, same inputs: OpenMined PSI's cardinality protocol (``openmined.psi``,
P-256, ``reveal_intersection=False``, RAW setup), client and server in this process,
as the library runs (one core). Where it is not installed the row says so and P-256
ECDH scalar multiplication via ``cryptography`` (two per identifier, one core) is the
baseline, named as such. Target (issue 20): >= 15,000 identifiers/s on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import time

import pyarrow as pa

from benchmarks.blind_join import measure
from benchmarks.common import Result, best_of, usable_cores
from protocols import BlindingScalar, blind_many, hash_to_group
from protocols.ristretto import hash_and_blind_many
from protocols.ristretto_native import blinding_path

COLLAB = "bench-collaboration"
TARGET = 15_000.0


def inputs(count: int, start: int = 0) -> list[bytes]:
    return [
        hashlib.sha256(f"user{i}@example.com".encode()).hexdigest().encode()
        for i in range(start, start + count)
    ]


def double_blind(a_inputs: list[bytes], b_inputs: list[bytes], parallel: bool = True) -> int:
    """The whole v2 exchange on one machine; returns the intersection size."""
    a, b = BlindingScalar.generate(), BlindingScalar.generate()
    a_once = hash_and_blind_many(a, COLLAB, "email", pa.array(a_inputs, pa.binary()), parallel)
    b_once = hash_and_blind_many(b, COLLAB, "email", pa.array(b_inputs, pa.binary()), parallel)
    a_twice = blind_many(b, a_once, parallel)
    b_twice = blind_many(a, b_once, parallel)
    split = [a_twice[i : i + 32] for i in range(0, len(a_twice), 32)]
    return len(set(split) & {b_twice[i : i + 32] for i in range(0, len(b_twice), 32)})


def openmined_cardinality(a_inputs: list[bytes], b_inputs: list[bytes]) -> int:
    import private_set_intersection.python as psi

    server = psi.server.CreateWithNewKey(False)
    client = psi.client.CreateWithNewKey(False)
    server_items = [v.decode() for v in a_inputs]
    client_items = [v.decode() for v in b_inputs]
    setup = psi.ServerSetup()
    setup.ParseFromString(
        server.CreateSetupMessage(
            1e-9, len(client_items), server_items, psi.DataStructure.RAW
        ).SerializeToString()
    )
    request = client.CreateRequest(client_items)
    response = server.ProcessRequest(request)
    return int(client.GetIntersectionSize(setup, response))


def p256_ecdh(a_inputs: list[bytes], b_inputs: list[bytes]) -> int:
    """Two P-256 scalar multiplications per identifier (cryptography's ECDH), one core."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    peer = ec.generate_private_key(ec.SECP256R1()).public_key()
    for _ in range(2 * (len(a_inputs) + len(b_inputs))):
        key.exchange(ec.ECDH(), peer)
    return 0


def _baseline() -> tuple[str, object]:
    try:
        import private_set_intersection.python  # noqa: F401
    except ImportError:
        return "P-256 ECDH via cryptography (openmined.psi not installed)", p256_ecdh
    return "OpenMined PSI cardinality (P-256)", openmined_cardinality


def run(quick: bool) -> list[Result]:
    per_side = 4_000 if quick else 100_000
    a_inputs, b_inputs = inputs(per_side), inputs(per_side, per_side // 2)
    expected = per_side - per_side // 2
    ours = best_of(lambda: _checked(double_blind(a_inputs, b_inputs), expected), repeat=2)
    one_core = best_of(lambda: double_blind(a_inputs[:20_000], b_inputs[:20_000], False), 1)
    name, baseline = _baseline()
    base = best_of(lambda: baseline(a_inputs, b_inputs), repeat=1)  # type: ignore[operator]
    total = 2 * per_side
    per_cpu = total / min(ours.cpu)
    return [
        Result(
            f"v2 double-blind, both sides, {usable_cores()} cores",
            ours.rate(total),
            "identifiers/s",
            baseline_name=name,
            baseline_value=base.rate(total),
            min_value=TARGET,
            notes=f"{per_side:,} per side; {blinding_path()}; {ours.describe()}; "
            f"baseline {base.describe()}",
        ),
        Result(
            "v2 double-blind, per CPU-second",
            per_cpu,
            "identifiers/CPU-s",
            baseline_name=f"{name}, per CPU-second",
            baseline_value=total / min(base.cpu),
            notes="this process and its threads; barely moves when others load the machine; "
            f"x {usable_cores()} cores = {per_cpu * usable_cores():,.0f}/s on idle cores",
        ),
        Result(
            "v2 double-blind, one process",
            one_core.rate(40_000),
            "identifiers/s",
            notes=f"20,000 per side; {one_core.describe()}",
        ),
        *join_memory(quick),
    ]


def join_memory(quick: bool) -> list[Result]:
    """Peak RSS of the server's streaming join at two sizes (fresh process each), with
    the in-memory join it replaced at the larger size."""
    small, large = (50_000, 200_000) if quick else (1_000_000, 4_000_000)
    results = []
    for rows in (small, large):
        got = measure(rows)
        notes = (
            f"{got['file_mib']:.0f} MiB file; {got['peak_mib'] - got['before_mib']:.0f} MiB "
            f"above the {got['before_mib']:.0f} MiB of imports; {got['seconds']:.1f} s"
        )
        if rows == large:
            old = measure(rows, in_memory=True)
            notes += f"; in-memory join (before): {old['peak_mib']:.0f} MiB peak"
        results.append(
            Result(f"v2 join peak RSS, {rows:,} rows", got["peak_mib"], "MiB", notes=notes)
        )
    return results


def _checked(found: int, expected: int) -> int:
    if found != expected:
        raise AssertionError(f"intersection {found}, expected {expected}")
    return found


def dictionary_attack(candidates: int = 1_000_000, customers: int = 10_000) -> dict[str, float]:
    """The partner's once-blinded file (``customers`` points) against ``candidates``
    emails (every customer among them), with the attacker's own scalar: links found."""
    owner, attacker = BlindingScalar.generate(), BlindingScalar.generate()
    file = blind_many(owner, hash_to_group(COLLAB, "email", inputs(customers)))
    target = {file[i : i + 32] for i in range(0, len(file), 32)}
    started = time.perf_counter()
    links, done = 0, 0
    for start in range(0, candidates, 100_000):
        chunk = inputs(min(100_000, candidates - start), start)
        unblinded = hash_to_group(COLLAB, "email", chunk)
        mine = blind_many(attacker, unblinded)
        for data in (unblinded, mine):
            links += sum(data[i : i + 32] in target for i in range(0, len(data), 32))
        done += len(chunk)
    return {"candidates": done, "customers": customers, "links": links,
            "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attack", action="store_true", help="run the 1M-candidate attack")
    parser.add_argument("--candidates", type=int, default=1_000_000)
    arguments = parser.parse_args()
    if arguments.attack:
        print(dictionary_attack(arguments.candidates))
    else:
        for result in run(quick=False):
            print(result)
