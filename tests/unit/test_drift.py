"""Drift: tolerant comparison of expected and real output."""

from __future__ import annotations

from lab.runner.drift import drift, normalise

EXPECTED_PUSH = """The push refers to a repository [127.0.0.1:5000/hello-world]
a55ad2cda2bf: Pushed
cfbe7916c207: Pushed
fe4c16cbf7a4: Pushed
latest: digest: sha256:79e028398829da5ce98799e733bf04ac2ee39979b238e4b358e321ec549da5d6 size: 948
"""

ACTUAL_PUSH = (
    "Using default tag: latest\r\n"
    "The push refers to repository [127.0.0.1:5000/hello-world]\r\n"
    "\x1b[1A\x1b[2K0a2b3c4d5e6f: Preparing\r\n"
    "0a2b3c4d5e6f: Pushed\r\n"
    "latest: digest: sha256:" + "ab" * 32 + " size: 528\r\n"
)


def test_digests_ids_sizes_layers_are_tolerated() -> None:
    expected = EXPECTED_PUSH.replace(
        "The push refers to a repository", "The push refers to repository"
    )
    actual = ACTUAL_PUSH.replace("Using default tag: latest\r\n", "")
    assert drift(expected, actual) is None


def test_real_difference_is_reported_as_diff() -> None:
    diff = drift(EXPECTED_PUSH, ACTUAL_PUSH)
    assert diff is not None
    assert "-The push refers to a repository [127.0.0.1:5000/hello-world]" in diff
    assert "+Using default tag: latest" in diff
    assert "+The push refers to repository [127.0.0.1:5000/hello-world]" in diff


def test_whitespace_and_blank_lines_do_not_count() -> None:
    assert drift("a   b\n\n\nc\n", "a b\nc   \n") is None


def test_times_and_ages() -> None:
    want = "registry   Up 3 seconds   0.0.0.0:5000->5000/tcp   created 2 minutes ago"
    got = "registry   Up About a minute   0.0.0.0:5000->5000/tcp   created 5 hours ago"
    assert drift(want, got) is None


def test_progress_lines_redrawn_with_cr_keep_last_frame() -> None:
    assert normalise("Downloading 10%\rDownloading 100%\rdone\n") == ["done"]


def test_openssl_key_progress_is_noise() -> None:
    assert normalise(".+..+++++*...+\n-----\n") == ["-----"]


def test_swarm_ids_tokens_and_addresses() -> None:
    want = (
        "Swarm initialized: current node (6dlewb50pj2y66q4zi3egnwbi) is now a manager.\n"
        "    docker swarm join --token SWMTKN-1-1wxyoueqgpcrc4xk2t3ec7n1poy75g4kowmwz64p7ulqx611ih"
        "-68pazn0mj8p4p4lnuf4ctp8xy 10.0.0.5:2377\n"
    )
    got = (
        "Swarm initialized: current node (mlw73y5a8hghipaxbg6gzhp3h) is now a manager.\n"
        "    docker swarm join --token SWMTKN-1-3lljvwqetwj430t85h5kqhbnuasjgvjy5s3gk7eyhypwt9uiay"
        "-61emb05tqjh1tepk0zcqbqi4e 192.168.144.2:2377\n"
    )
    assert drift(want, got) is None
