"""The queue's hand-drawn cells escape what they draw."""

from tickets.templatetags.ticket_cells import options


def test_options_escape_values_and_labels_and_mark_the_selected_one():
    html = options(
        [(1, "Ann <b>& co</b>"), ('2"><script>', "x"), (3, "Cy")], selected=3, prefix="assignee:"
    )
    assert html == (
        '<option value="assignee:1">Ann &lt;b&gt;&amp; co&lt;/b&gt;</option>'
        '<option value="assignee:2&quot;&gt;&lt;script&gt;">x</option>'
        '<option value="assignee:3" selected>Cy</option>'
    )
    assert "<script>" not in options([("<script>", "<script>")])
