"""Two hubs, each the other's upstream, over real HTTP: documents and statuses cross over."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.upstream import UpstreamAdapter, UpstreamLink
from gateway.config import AdapterConfig
from tests.standins.office import OfficeFile, StandInOffice
from tests.support.axis_world import (
    axis_entry,
    free_port,
    hub_config,
    secret_file,
    served_hub,
)

ROOT_1, X = "000.00.00.H01", "000.00.01.H01"  # hub 1: a province and a district office
ROOT_2, Y = "000.00.00.H02", "000.00.01.H02"  # hub 2: another province


@dataclass
class Federation:
    """Two linked hubs, an office on each."""

    office_x: StandInOffice
    office_y: StandInOffice
    links: tuple[UpstreamLink, ...]


def _upstream(
    root: str, url: str, system_id: str, path: Path, pull: bool, protocol: str = "axis"
) -> AdapterConfig:
    options = {"url": url, "system_id": system_id, "secret_file": str(path), "interval": 0.1}
    if protocol == "vxp":  # the SDK's endpoint: the other hub's /vxp
        options = {**options, "url": f"{url}/vxp", "protocol": "vxp"}
    return AdapterConfig("upstream", root, {**options, "pull": pull})


@pytest.fixture(params=["mutual-push", "client-pull", "vxp-client-pull"])
async def federation(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Federation]:
    """Hub 1 (H01 local, H02 remote) and hub 2 (H02 local, H01 remote), linked.

    mutual-push: each is the other's upstream and pushes to it. client-pull: only hub 1
    runs a link (push and pull); hub 2 serves it like an axis. vxp-client-pull: the same
    over the VXP SDK's protocol (hub 2's /vxp, as a national axis or LGSP would serve it).
    """
    mutual = request.param == "mutual-push"
    protocol = "vxp" if request.param.startswith("vxp") else "axis"
    ports = (free_port(), free_port())
    urls = tuple(f"http://127.0.0.1:{p}" for p in ports)
    peer_1, _ = secret_file(tmp_path, "hub-1")  # hub 1's identity at hub 2
    peer_2, _ = secret_file(tmp_path, "hub-2")
    office_x_path, key_x = secret_file(tmp_path, "office-x")
    office_y_path, key_y = secret_file(tmp_path, "office-y")
    link_1 = _upstream(ROOT_2, urls[1], "hub-1", peer_1, pull=not mutual, protocol=protocol)
    config_1 = [axis_entry(X, "office-x", office_x_path),
                axis_entry(ROOT_2, "hub-2", peer_2, peer=True), link_1]  # fmt: skip
    config_2 = [axis_entry(Y, "office-y", office_y_path),
                axis_entry(ROOT_1, "hub-1", peer_1, peer=True),
                _upstream(ROOT_1, urls[0], "hub-2", peer_2, pull=False)]  # fmt: skip
    units_1 = [(ROOT_1, "Tỉnh 1", None), (X, "Huyện X", ROOT_1),
               (ROOT_2, "Tỉnh 2 (hub 2)", None), (Y, "Huyện Y (hub 2)", ROOT_2)]  # fmt: skip
    units_2 = [(ROOT_2, "Tỉnh 2", None), (Y, "Huyện Y", ROOT_2),
               (ROOT_1, "Tỉnh 1 (hub 1)", None), (X, "Huyện X (hub 1)", ROOT_1)]  # fmt: skip
    async with AsyncExitStack() as stack:
        hubs = []
        for n, (cfg, units) in enumerate(((config_1, units_1), (config_2, units_2))):
            home = tmp_path / f"home-{n + 1}"
            home.mkdir()
            db = f"sqlite+aiosqlite:///{home / 'hub.db'}"
            config = hub_config(home, db, "local://", cfg)
            hubs.append(await stack.enter_async_context(served_hub(config, units, ports[n])))
        links = []
        for (hub, _), cfg in list(zip(hubs, (config_1, config_2), strict=True))[
            : 2 if mutual else 1
        ]:
            link = UpstreamLink(hub, UpstreamAdapter(unit=cfg[2].unit, options=cfg[2].options))
            link.start()
            stack.push_async_callback(link.stop)
            links.append(link)
        office_x = StandInOffice(urls[0], system_id="office-x", secret=key_x, unit=X, name="X")
        office_y = StandInOffice(urls[1], system_id="office-y", secret=key_y, unit=Y, name="Y")
        stack.push_async_callback(office_x.close)
        stack.push_async_callback(office_y.close)
        yield Federation(office_x, office_y, tuple(links))


async def test_document_crosses_to_the_other_hub_and_statuses_come_back(
    federation: Federation,
) -> None:
    """X (hub 1) → Y (hub 2): Y gets the document and file; X sees Y's 01 and 03, in order."""
    x, y = federation.office_x, federation.office_y
    report = OfficeFile("bao-cao.pdf", "application/pdf", b"%PDF-1.4 " + bytes(range(256)) * 40)
    doc_id, _ = await x.send_document([Y], "Báo cáo liên tỉnh", [report])

    got = await y.receive_until(lambda inbox: any(i.document_id == doc_id for i in inbox))
    document = next(i for i in got if i.messagetype == "edoc")
    assert document.sender == X and document.subject == "Báo cáo liên tỉnh"
    assert [(f.name, f.data) for f in document.files] == [(report.name, report.data)]

    await y.send_status(doc_id, "03", about=X)
    codes = lambda inbox: [i.status_code for i in inbox if i.document_id == doc_id]  # noqa: E731
    await x.receive_until(lambda inbox: "03" in codes(inbox), timeout=15)
    assert codes(x.inbox) == ["01", "03"]
    assert all(i.sender == Y for i in x.inbox)
    assert all(link.errors == [] for link in federation.links)


async def test_a_reply_document_travels_back_the_other_way(federation: Federation) -> None:
    """Y (hub 2) → X (hub 1) works the same way in the opposite direction."""
    x, y = federation.office_x, federation.office_y
    doc_id, _ = await y.send_document([X], "Phúc đáp", [], number="7")
    got = await x.receive_until(lambda inbox: any(i.document_id == doc_id for i in inbox))
    assert next(i for i in got if i.messagetype == "edoc").sender == Y
    await y.receive_until(
        lambda inbox: any(i.document_id == doc_id and i.status_code == "01" for i in inbox),
        timeout=15,
    )
