"""ProseBlock: app links follow the sandbox nodes that serve them."""

from __future__ import annotations


def test_prose_block_repoints_app_links() -> None:
    from lab.tui.widgets.prose import ProseBlock

    source = 'See [it](/){:data-term=".term1"}{:data-port="80"}.'
    block = ProseBlock("See [it](http://localhost:80).", source)
    block.point_app_links({1: "10.1.0.2"})
    assert "http://10.1.0.2:80" in block.markdown
