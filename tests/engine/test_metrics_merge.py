"""The exact k-th value of a long stored sorted sequence merged with a short list: what the SQLite dashboards use
to read percentiles from an index instead of sorting every row."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.metrics_sql import kth_of_merged

values = st.lists(st.integers(min_value=0, max_value=50), max_size=40)


@given(values, values, st.data())
def test_the_kth_of_the_merge_is_the_kth_of_the_sorted_union(stored: list[int], extra: list[int],
                                                             data: st.DataObject) -> None:
    stored, extra = sorted(stored), sorted(extra)
    union = sorted(stored + extra)
    if not union:
        return
    k = data.draw(st.integers(min_value=1, max_value=len(union)))
    reads: list[int] = []

    def stored_at(position: int) -> float:
        reads.append(position)
        return stored[position]

    assert kth_of_merged(k, stored_at, len(stored), [float(x) for x in extra]) == union[k - 1]
    assert len(reads) <= 2 * (len(extra).bit_length() + 1), "only a few stored positions are read"
