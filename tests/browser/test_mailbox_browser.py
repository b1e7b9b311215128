"""A commune clerk's web mailbox driven in headless Chromium against a live hub.

The province sends a document with a PDF; the clerk logs in by keyboard, opens it (the
PDF previewed in the page), answers 01 then 06, and sends a report back with a file,
finding the province by a name typed without diacritics. Screenshots at 1280 and 390 px
wide go to ``test-artifacts/mailbox/`` (CI keeps them).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, expect

from gateway.cli.serve import build_web_app
from gateway.config import load_config
from gateway.directory.principal import Principal
from gateway.hub import Hub
from gateway.pipeline.document import UploadedFile
from tests.support.seeded_hub import free_port

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "mailbox"
PROVINCE, COMMUNE = "000.00.00.H01", "000.01.01.H01"


def _pdf(text: str) -> bytes:
    """A valid one-page PDF showing ``text`` (ASCII), with a correct cross-reference table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF = _pdf("Ke hoach chuyen doi so nam 2027")


@dataclass
class Live:
    """The running hub, its URL, the commune's token and the province's document."""

    hub: Hub
    url: str
    token: str
    document: str


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    hub = Hub(load_config(home=tmp_path / "home", env={}))
    await hub.start()
    runner: web.AppRunner | None = None
    try:
        await hub.directory.add(PROVINCE, "Văn phòng Tỉnh ủy An Giang")
        await hub.directory.add(COMMUNE, "Ủy ban nhân dân xã Mỹ Hòa Hưng", PROVINCE)
        await hub.consumers.sync()
        token = await hub.directory.create_token(unit=COMMUNE)
        ref = await hub.blobs.put_bytes(PDF)
        files = [UploadedFile("kế hoạch.pdf", "application/pdf", ref.sha256, ref.size)]
        meta = {"to": [COMMUNE], "subject": "Kế hoạch chuyển đổi số năm 2027", "number": "15",
                "notation": "KH-VP", "urgency": "Khẩn", "signer": "Trần Văn B"}  # fmt: skip
        sent = await hub.submit_document(Principal(unit=PROVINCE), meta, files)
        app = build_web_app(hub)
        assert app is not None
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield Live(hub, f"http://localhost:{port}", token, sent.message_id)
    finally:
        if runner is not None:
            await runner.cleanup()
        await hub.stop()


async def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def _province_state(live: Live, message_id: str, unit: str) -> str:
    status = await live.hub.status(Principal(unit=PROVINCE), message_id)
    return str(next(r["state"] for r in status["recipients"] if r["unit"] == unit))


async def test_a_commune_receives_answers_and_sends_back(
    live: Live, browser: Browser, tmp_path: Path
) -> None:
    """Log in by keyboard, open the province's document and its PDF preview, answer 01
    then 06, send a report back with a file; the province sees both, and its answer shows
    on the clerk's open page without a reload."""
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{live.url}/mailbox")
    await expect(page).to_have_url(f"{live.url}/mailbox/login")
    await expect(page.locator("#token")).to_be_focused()  # autofocus, before any key
    await page.keyboard.type(live.token)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{live.url}/mailbox")
    row = page.locator(f"#inbox tr[data-id='{live.document}']")
    await expect(row).to_contain_text("Kế hoạch chuyển đổi số năm 2027")
    await expect(row).to_contain_text("Văn phòng Tỉnh ủy An Giang")
    await expect(row.locator(".badge")).to_have_text("Khẩn")
    await _shot(page, "01-inbox")

    await row.locator("a").click()
    await expect(page.locator("#doc-number")).to_have_text("15/KH-VP")
    preview = page.locator("iframe.preview")
    await expect(preview).to_have_attribute(
        "src", f"/mailbox/documents/{live.document}/files/k%E1%BA%BF%20ho%E1%BA%A1ch.pdf?inline=1"
    )
    answers = page.locator("#timeline .receipts")
    for code in ("01", "06"):
        await page.select_option("#answer-status", code)
        # by keyboard: a mouse click here was now and then lost while the PDF viewer
        # in the frame above was still loading
        async with page.expect_navigation(wait_until="domcontentloaded"):
            await page.focus("#answer-button")
            await page.keyboard.press("Enter")
        await expect(page.locator("#notice")).to_be_visible()
        await expect(answers.locator(f"li[data-status='{code}']")).to_have_count(1)
    await page.wait_for_timeout(3000)  # only for the screenshot: the viewer draws the page
    await _shot(page, "02-document-answered")
    assert await _province_state(live, live.document, COMMUNE) == "completed"

    await page.focus("#nav-compose")  # by keyboard: the PDF viewer is still on this page
    async with page.expect_navigation(wait_until="domcontentloaded"):
        await page.keyboard.press("Enter")
    await page.fill("#q", "van phong tinh uy")  # no diacritics
    await page.click("#find-button")
    await page.check(f"#units input[value='{PROVINCE}']")
    await page.fill("#subject", "Báo cáo kết quả chuyển đổi số")
    await page.fill("#number", "3")
    await page.fill("#notation", "BC-UBND")
    report = tmp_path / "báo cáo.pdf"
    report.write_bytes(PDF)
    await page.set_input_files("#file", str(report))
    await _shot(page, "03-compose")
    async with page.expect_navigation(wait_until="domcontentloaded"):
        await page.click("#send-button")
    await expect(page.locator("#notice")).to_be_visible()
    await expect(page.locator(f"#timeline tr[data-unit='{PROVINCE}']")).to_be_visible()
    message_id = page.url.split("/documents/")[1].split("?")[0]
    await _shot(page, "04-sent-timeline")
    for _ in range(100):
        if await _province_state(live, message_id, PROVINCE) != "submitted":
            break
        await asyncio.sleep(0.05)
    status = await live.hub.status(Principal(unit=PROVINCE), message_id)
    assert status["sender"] == COMMUNE and status["subject"] == "Báo cáo kết quả chuyển đổi số"

    province = Principal(unit=PROVINCE)  # its office system fetches the report and answers
    for _ in range(50):
        if any(
            i["message_id"] == message_id
            for i in await live.hub.mailbox(province, wait=1, limit=100)
        ):
            break
    await live.hub.post_receipt(province, message_id, status="01")
    state = page.locator(f"#timeline tr[data-unit='{PROVINCE}'] .state")
    await expect(state).to_have_text("Đã đến", timeout=15_000)  # live: no reload
    await _shot(page, "04b-sent-timeline-live")

    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{live.url}/mailbox/sent")
    await expect(page.locator(f"#sent tr[data-id='{message_id}']")).to_be_visible()
    await _shot(page, "05-sent-390px")


async def test_a_clerk_replaces_with_a_large_file_then_revokes(
    live: Live, browser: Browser, tmp_path: Path
) -> None:
    """From a document it sent, the clerk opens "send a replacement" (the form filled in
    from the original), attaches an 8 MiB file and watches the upload bar reach 100 %;
    the replacement's page names the original; then the clerk revokes the replacement."""
    commune = Principal(unit=COMMUNE)
    ref = await live.hub.blobs.put_bytes(PDF)
    files = [UploadedFile("bao-cao.pdf", "application/pdf", ref.sha256, ref.size)]
    meta = {"to": [PROVINCE], "subject": "Báo cáo tháng 11", "number": "4", "notation": "BC"}
    original = (await live.hub.submit_document(commune, meta, files)).message_id

    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{live.url}/mailbox/login")
    await page.fill("#token", live.token)
    async with page.expect_navigation(wait_until="domcontentloaded"):
        await page.press("#token", "Enter")
    await page.goto(f"{live.url}/mailbox/documents/{original}")
    # By keyboard, not a mouse click: the page's PDF preview loads Chromium's PDF viewer
    # beside the link, and a click landing while it lays itself out went nowhere (no
    # request at all) in about one run of ten.
    await page.focus("#replace-link")
    async with page.expect_navigation(wait_until="domcontentloaded", timeout=60_000):
        await page.keyboard.press("Enter")
    await expect(page.locator("#change-of")).to_contain_text("Báo cáo tháng 11", timeout=30_000)
    await expect(page.locator(f"#units input[value='{PROVINCE}']")).to_be_checked()
    await expect(page.locator("#notation")).to_have_value("BC")
    await page.fill("#subject", "Báo cáo tháng 11 (thay thế)")
    large = tmp_path / "phu-luc.bin"
    large.write_bytes(bytes(range(256)) * (8 * 1024 * 4))  # 8 MiB
    await page.set_input_files("#file", str(large))

    seen: list[int] = []
    await page.expose_function("progressSeen", lambda value: seen.append(int(value)))
    await page.evaluate(
        """() => {
          const form = document.getElementById("send-form");
          new MutationObserver(() => window.progressSeen(form.dataset.progress))
            .observe(form, { attributes: true, attributeFilter: ["data-progress"] });
        }"""
    )
    async with page.expect_navigation(wait_until="domcontentloaded", timeout=60_000):
        await page.click("#send-button")
    await expect(page.locator("#notice")).to_be_visible()
    await expect(page.locator("#doc-refers-to")).to_contain_text(original)
    assert seen and seen[-1] == 100 and seen == sorted(seen), seen
    await _shot(page, "06-replacement-sent")
    replacement = page.url.split("/documents/")[1].split("?")[0]
    status = await live.hub.status(commune, original)
    assert status["document_state"] == "replaced"
    assert [c["id"] for c in status["changed_by"]] == [replacement]

    await page.fill("#revoke-reason", "gửi nhầm phụ lục")
    async with page.expect_navigation(wait_until="domcontentloaded"):
        await page.click("#revoke-button")
    await expect(page.locator("#notice")).to_be_visible()
    await expect(page.locator("#doc-state")).to_have_attribute("data-state", "revoked")
    await expect(page.locator("#revoke-form")).to_have_count(0)
    await _shot(page, "07-revoked")


async def test_a_clerks_own_account_is_named_on_the_timeline(live: Live, browser: Browser) -> None:
    """The commune's clerk logs in with their own account, opens the inbox and the
    province's document and answers 01: the document's timeline names the clerk as the one
    who first opened it and who answered, on the mailbox's page and the console's."""
    await live.hub.people.add(
        COMMUNE, "van.thu", "mat-khau-van-thu-2027", full_name="Nguyễn Thị Thu", actor="admin"
    )
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{live.url}/mailbox/login")
    await page.fill("#username", "van.thu")
    await page.fill("#password", "mat-khau-van-thu-2027")
    async with page.expect_navigation(wait_until="domcontentloaded"):
        await page.press("#password", "Enter")
    await expect(page).to_have_url(f"{live.url}/mailbox")
    row = page.locator(f"#inbox tr[data-id='{live.document}']")
    async with page.expect_navigation(wait_until="domcontentloaded"):
        await row.locator("a").click()
    await page.select_option("#answer-status", "01")
    async with page.expect_navigation(wait_until="domcontentloaded"):
        await page.focus("#answer-button")
        await page.keyboard.press("Enter")
    await expect(page.locator("#notice")).to_be_visible()
    mine = page.locator(f"#timeline tr[data-unit='{COMMUNE}']")
    await expect(mine.locator(".opened-by")).to_have_text("Nguyễn Thị Thu")
    await expect(mine.locator("li[data-status='01'] .person")).to_have_text("Nguyễn Thị Thu")
    await _shot(page, "08-clerk-on-timeline")

    console = await browser.new_page(viewport={"width": 1280, "height": 900})
    token = await live.hub.directory.create_token(operator="Trực ban Sở")
    await console.goto(f"{live.url}/console/login")
    await console.fill("#token", token)
    async with console.expect_navigation(wait_until="domcontentloaded"):
        await console.press("#token", "Enter")
    await console.goto(f"{live.url}/console/messages/{live.document}")
    theirs = console.locator(f"tr[data-unit='{COMMUNE}']")
    await expect(theirs.locator(".opened-by")).to_have_text("Nguyễn Thị Thu")
    await expect(theirs.locator(".receipts .person")).to_have_text("Nguyễn Thị Thu")
