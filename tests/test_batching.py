"""core.batching: the cycle collector paused for a batch, and left as it was found."""

import gc

import pytest

from core.batching import collector_paused


def test_the_collector_is_off_inside_and_on_again_after_even_when_the_batch_fails():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
