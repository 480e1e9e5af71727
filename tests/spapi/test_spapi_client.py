"""tracklane's SP-API routes, driven by Amazon's official Python SP-API SDK.

Every SP-API call here goes through `amzn-sp-api` (package `spapi`): its LWA
token flow (AccessTokenCache), its generated API classes (TrackingApi,
FbaInboundApi), which build the request, and its generated models, which parse
and validate the response (client-side validation on: enums, patterns,
lengths, required fields). The SDK is pointed at tracklane only through its own
constructor arguments, `SPAPIClient(config, oauth_endpoint=..., endpoint=...)`;
nothing in it is patched.

Plain HTTP (urllib) is used only for tracklane's own /api/v1 routes, to find
shipments to exercise; those are not the SP-API under test.

Run through run.sh, which starts a demo server and sets TRACKLANE_KEYS.
"""

import json
import os
import random
import string
import subprocess
import types
import urllib.parse
import urllib.request

import pytest

from spapi import SPAPIClient, SPAPIConfig
from spapi.api.fulfillment_inbound_v2024_03_20.fba_inbound_api import FbaInboundApi
from spapi.api.tracking_v2026_01_30.tracking_api import TrackingApi
from spapi.auth.lwa_exception import LwaException
from spapi.auth.lwa_request import AccessTokenCache
from spapi.models import fulfillment_inbound_v2024_03_20 as inbound
from spapi.models import tracking_v2026_01_30 as tracking
from spapi.rest import ApiException

TIMEOUT = 60  # seconds per HTTP request: the machine may be slow


# ---- fixtures ----------------------------------------------------------------


@pytest.fixture(scope="session")
def keys():
    path = os.environ.get("TRACKLANE_KEYS")
    if not path:
        pytest.fail("TRACKLANE_KEYS is not set: run tests/spapi/run.sh")
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def base_url(keys):
    return keys["url"].rstrip("/")


@pytest.fixture(scope="session")
def seller_key(keys):
    assert keys["sellers"], "the demo has no sellers"
    return keys["sellers"][0]["key"]


def make_client(base_url, seller_key):
    """The SDK's client: the seller key is the LWA refresh token."""
    config = SPAPIConfig(
        client_id="amzn1.application-oa2-client.tracklane-test",
        client_secret="tracklane-test-secret",
        refresh_token=seller_key,
        region="NA",
    )
    # Both URLs through the SDK's own constructor arguments (its defaults are
    # Amazon's hosts); nothing else of the SDK is touched.
    return SPAPIClient(config, oauth_endpoint=f"{base_url}/auth/o2/token", endpoint=base_url)


@pytest.fixture(scope="session")
def sp_client(base_url, seller_key):
    return make_client(base_url, seller_key)


@pytest.fixture(scope="session")
def tracking_api(sp_client):
    return TrackingApi(sp_client.api_client)


@pytest.fixture(scope="session")
def inbound_api(sp_client):
    return FbaInboundApi(sp_client.api_client)


# ---- tracklane's own API (plain HTTP; only to find test data) ----------------


def tracklane_get(base_url, key, path, **query):
    url = f"{base_url}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}", "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        return json.load(r)


def shipment_details(base_url, key, **query):
    """Yields the detail of each shipment the list route returns."""
    listing = tracklane_get(base_url, key, "/api/v1/shipments", limit=50, **query)
    for summary in listing["shipments"]:
        yield tracklane_get(base_url, key, f"/api/v1/shipments/{summary['shipmentId']}")


def is_small_parcel(detail):
    return str(detail.get("shippingMode", "")).replace("_", "").upper() == "SMALLPARCEL"


# ---- UPS numbers -------------------------------------------------------------


def ups_check_digit(payload):
    """UPS mod-10 over the 15 characters after `1Z`: letters count as
    (ASCII - 3) mod 10, odd (0-based) positions doubled."""
    total = 0
    for i, c in enumerate(payload):
        value = int(c) if c.isdigit() else (ord(c) - 3) % 10
        total += value * 2 if i % 2 == 1 else value
    return (10 - total % 10) % 10


def new_ups_number():
    rng = random.SystemRandom()
    payload = (
        "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(6))
        + "".join(rng.choice(string.digits) for _ in range(2 + 7))
    )
    return f"1Z{payload}{ups_check_digit(payload)}"


def tracklane_id_check(number):
    """`tracklane id check --json`: tracklane's own verdict, to cross-check the
    generator above (skipped when the binary is not at hand)."""
    binary = os.environ.get("TRACKLANE_BIN")
    if not binary or not os.access(binary, os.X_OK):
        return None
    out = subprocess.run([binary, "id", "check", "--json", number], capture_output=True, text=True, timeout=TIMEOUT)
    return json.loads(out.stdout.strip().splitlines()[0])


# ---- 1. LWA ------------------------------------------------------------------


def test_lwa_token_from_seller_key(sp_client, base_url, seller_key):
    cache = sp_client.access_token_cache
    token = cache.get_lwa_access_token()
    assert token, "the SDK got no access token"
    info = cache.token_info
    assert info["access_token"] == token
    assert info["token_type"].lower() == "bearer"
    assert info["expires_in"] > 30
    assert info["refresh_token"] == seller_key
    # The SDK sends it as x-amz-access-token on each call.
    assert sp_client.api_client.default_headers["x-amz-access-token"] == token

    # A key tracklane does not know is refused (SDK's own flow, no retries).
    bad = AccessTokenCache(
        client_id="amzn1.application-oa2-client.tracklane-test",
        client_secret="tracklane-test-secret",
        refresh_token="not-a-tracklane-key",
        oauth_endpoint=f"{base_url}/auth/o2/token",
        max_retries=0,
    )
    with pytest.raises(LwaException):
        bad.get_lwa_access_token()


# ---- 2. getShipmentTracking ---------------------------------------------------


@pytest.fixture(scope="session")
def tracked_box(base_url, seller_key):
    """A box of the seller with a tracking number and at least one milestone."""
    for detail in shipment_details(base_url, seller_key):
        for package in detail["packages"]:
            if package["legs"] and any(not m["afterClose"] for m in package.get("timeline", [])):
                number = package["legs"][-1]["trackingNumber"]
                return detail, package, number
    pytest.fail("no shipment of the seller has a box with tracking and milestones")


def test_get_shipment_tracking(tracking_api, sp_client, tracked_box):
    _detail, _package, number = tracked_box
    assert sp_client.api_client.client_side_validation, "SDK model validation must be on"

    response = tracking_api.get_shipment_tracking(carrier_tracking_tracking_number=number, _request_timeout=TIMEOUT)

    assert isinstance(response, tracking.GetShipmentTrackingResponse)
    detail = response.tracking_detail
    assert isinstance(detail, tracking.TrackingDetail)
    assert detail.identifier.carrier_tracking is not None
    assert detail.identifier.carrier_tracking.tracking_number == number
    assert len(detail.milestone_history) >= 1
    for milestone in detail.milestone_history:
        assert isinstance(milestone, tracking.TrackingMilestone)
        assert milestone.occurred_at
        # The model's setter checks the SP-API enum; re-assert it explicitly.
        tracking.TrackingMilestoneStatus(code=milestone.status.code, description=milestone.status.description)
    with pytest.raises(ValueError):  # ... and that check is really on
        tracking.TrackingMilestoneStatus(code="NOT_AN_SPAPI_CODE", description="x")
    # Most recent first.
    times = [m.occurred_at for m in detail.milestone_history]
    assert times == sorted(times, reverse=True)
    if detail.latest_milestone is not None:
        assert detail.latest_milestone.status.code == detail.milestone_history[0].status.code


# ---- 3. getShipment -----------------------------------------------------------


def test_get_shipment(inbound_api, tracked_box):
    detail, package, number = tracked_box

    shipment = inbound_api.get_shipment(detail["inboundPlanId"], detail["shipmentId"], _request_timeout=TIMEOUT)

    assert isinstance(shipment, inbound.Shipment)
    assert shipment.shipment_id == detail["shipmentId"]
    assert shipment.destination.warehouse_id == detail["warehouse"]
    assert shipment.tracking_details is not None
    spd = shipment.tracking_details.spd_tracking_detail
    ltl = shipment.tracking_details.ltl_tracking_detail
    if is_small_parcel(detail):
        assert spd is not None, "a small-parcel shipment has spdTrackingDetail"
        by_box = {item.box_id: item.tracking_id for item in spd.spd_tracking_items}
        assert by_box.get(package["boxId"]) == number
    else:
        assert ltl is not None, "a freight shipment has ltlTrackingDetail"
        assert number in (ltl.freight_bill_number or [])


def test_every_shipment_parses(inbound_api, tracking_api, base_url, seller_key):
    """Every shipment of the seller (small parcel, LTL, FTL) through getShipment,
    and every tracked box through getShipmentTracking: each response must pass
    the SDK's deserialization and validation."""
    shipments = tracked = 0
    for detail in shipment_details(base_url, seller_key):
        shipment = inbound_api.get_shipment(detail["inboundPlanId"], detail["shipmentId"], _request_timeout=TIMEOUT)
        assert shipment.shipment_id == detail["shipmentId"]
        shipments += 1
        for package in detail["packages"]:
            if not package["legs"] or not any(not m["afterClose"] for m in package.get("timeline", [])):
                continue
            number = package["legs"][-1]["trackingNumber"]
            response = tracking_api.get_shipment_tracking(carrier_tracking_tracking_number=number, _request_timeout=TIMEOUT)
            assert response.tracking_detail.identifier.carrier_tracking.tracking_number == number
            assert response.tracking_detail.milestone_history
            tracked += 1
    assert shipments >= 1 and tracked >= 1, (shipments, tracked)


# ---- 4 and 5. updateShipmentTrackingDetails ----------------------------------


@pytest.fixture(scope="session")
def untracked_shipment(keys, base_url):
    """A small-parcel shipment missing tracking, with boxes without a leg, whose
    carrier takes a UPS number (no carrier chosen, or UPS), of any demo seller;
    with an FbaInboundApi signed in as that seller."""
    for seller in keys["sellers"]:
        for detail in shipment_details(base_url, seller["key"], missingTracking="true"):
            assert detail["missingTracking"]
            if not is_small_parcel(detail) or detail.get("selectedCarrier") not in (None, "UPS"):
                continue
            boxes = [p["boxId"] for p in detail["packages"] if not p["legs"]]
            if boxes:
                api = FbaInboundApi(make_client(base_url, seller["key"]).api_client)
                return api, detail, boxes
    pytest.fail("no small-parcel shipment missing tracking (carrier none or UPS) has a box without a leg")


def spd_request(box_id, tracking_id):
    return inbound.UpdateShipmentTrackingDetailsRequest(
        tracking_details=inbound.TrackingDetailsInput(
            spd_tracking_detail=inbound.SpdTrackingDetailInput(
                spd_tracking_items=[inbound.SpdTrackingItemInput(box_id=box_id, tracking_id=tracking_id)]
            )
        )
    )


def test_update_shipment_tracking_details(untracked_shipment):
    inbound_api, detail, boxes = untracked_shipment
    box_id = boxes[0]
    number = new_ups_number()
    verdict = tracklane_id_check(number)
    if verdict is not None:
        assert verdict["valid"], verdict

    data, status, _headers = inbound_api.update_shipment_tracking_details_with_http_info(
        detail["inboundPlanId"], detail["shipmentId"], spd_request(box_id, number), _request_timeout=TIMEOUT
    )
    assert status == 202
    assert isinstance(data, inbound.UpdateShipmentTrackingDetailsResponse)
    assert data.operation_id

    shipment = inbound_api.get_shipment(detail["inboundPlanId"], detail["shipmentId"], _request_timeout=TIMEOUT)
    spd = shipment.tracking_details.spd_tracking_detail
    assert spd is not None
    by_box = {item.box_id: item.tracking_id for item in spd.spd_tracking_items}
    assert by_box.get(box_id) == number


def test_update_with_wrong_check_digit_is_rejected(untracked_shipment):
    inbound_api, detail, boxes = untracked_shipment
    box_id = boxes[-1]
    good = new_ups_number()
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    verdict = tracklane_id_check(wrong)
    if verdict is not None:
        assert not verdict["valid"], verdict

    with pytest.raises(ApiException) as caught:
        inbound_api.update_shipment_tracking_details(
            detail["inboundPlanId"], detail["shipmentId"], spd_request(box_id, wrong), _request_timeout=TIMEOUT
        )
    assert caught.value.status == 400
    # The SDK hands back the raw body; parse it with the SDK's own ErrorList model.
    errors = inbound_api.api_client.deserialize(types.SimpleNamespace(data=caught.value.body), "ErrorList")
    assert isinstance(errors, inbound.ErrorList)
    assert errors.errors, "the 400 carries an error"
    messages = [e.message for e in errors.errors]
    assert any("check digit" in m.lower() for m in messages), messages
    assert all(e.code for e in errors.errors)

    # Nothing was attached to that box.
    shipment = inbound_api.get_shipment(detail["inboundPlanId"], detail["shipmentId"], _request_timeout=TIMEOUT)
    spd = shipment.tracking_details.spd_tracking_detail
    items = spd.spd_tracking_items if spd else []
    assert all(item.tracking_id != wrong for item in items)
