"""PostGrid's official Python client (postgrid-python), unchanged, against Orgplane.

Run by the e2e test `postgrid::the_official_python_client_works_unchanged` with
ORGPLANE_URL and ORGPLANE_KEY (an admin's live key) in the environment. Responses are
validated strictly against the client's own models. Exits non-zero on the first failure.
"""

import os
import sys
import uuid

import postgrid
from postgrid import PostGrid

BASE = os.environ["ORGPLANE_URL"]
KEY = os.environ["ORGPLANE_KEY"]

client = PostGrid(
    print_mail_api_key=KEY,
    base_url=BASE,
    max_retries=0,
    timeout=30,
    _strict_response_validation=True,
)
subs = client.print_mail.sub_organizations
run = uuid.uuid4().hex[:8]


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


# Create: the sub-organization, its first user and the user's keys.
created = subs.create(
    country_code="CA",
    email=f"owner-{run}@example.com",
    name="Calvin",
    organization_name=f"PostGrid {run}",
    password="very-strong-password",
    phone_number="+1 555 0100",
)
org = created.sub_organization
user = created.user
check(org.id.startswith("sub_org_") and org.object == "sub_org", "create answers a sub_org")
check(org.country_code == "CA" and org.name == f"PostGrid {run}", "create keeps name and country")
check(org.usage == 0 and org.spend == 0 and org.limit == 500, "a new sub-organization has used nothing")
check(org.created_at.tzinfo is not None, "times are UTC")
check(user.id.startswith("user_") and user.verified_email and not user.pending_invite, "the first user is verified")
check(user.organization == "org_" + org.id[len("sub_org_"):], "the user belongs to the sub-organization")
values = sorted(k.value[:5] for k in user.api_keys)
check(values == ["live_", "test_"], "the user has a live and a test key")

# The new live key is a working credential of its own.
own = PostGrid(print_mail_api_key=[k.value for k in user.api_keys if k.value.startswith("live_")][0],
               base_url=BASE, max_retries=0, _strict_response_validation=True)
check(own.print_mail.sub_organizations.list().total_count == 0, "the new key reaches the new (empty) organization")

# More sub-organizations, for paging and search.
for i in range(4):
    subs.create(country_code="DE", email=f"u{i}-{run}@example.com", name=f"User {i}",
                organization_name=f"Paging {run} {i}", password="very-strong-password")

page = subs.list(limit=2, skip=0, search=f"Paging {run}")
check(page.total_count == 4 and len(page.data) == 2, "search narrows, limit pages")
check(page.has_next_page(), "there is a next page")
everything = [s.id for s in subs.list(limit=2, search=f"Paging {run}")]
check(len(everything) == 4 and len(set(everything)) == 4, "auto-paging by skip visits each once")
second = subs.list(limit=2, skip=2, search=f"Paging {run}")
check([s.id for s in second.data] == everything[2:], "skip continues where the first page ended")
quoted = subs.list(search=f'"Paging {run} 3"')
check(quoted.total_count == 1 and quoted.data[0].name == f"Paging {run} 3", "a quoted phrase matches as it is")
words = subs.list(search=f"{run} paging")
check(words.total_count == 4, "plain words match in any order")

# Get, and the users of a sub-organization.
got = subs.retrieve(org.id)
check(got.id == org.id and got.name == org.name and got.limit == 500, "get answers the same sub-organization")
users = subs.retrieve_users(org.id)
check(len(users) == 1 and users[0].email == f"owner-{run}@example.com", "the users list holds the first user")
check(not hasattr(users[0], "api_keys") or users[0].api_keys is None, "keys appear only in the create response")

# Errors, as the client's exception classes.
try:
    subs.retrieve("sub_org_" + "0" * 32)
    check(False, "an unknown id is refused")
except postgrid.NotFoundError as e:
    check(e.status_code == 404 and "message" in e.body["error"], "an unknown id is a NotFoundError")
try:
    subs.create(country_code="XX", email="not-an-email", name="X", organization_name="Y", password="short")
    check(False, "invalid input is refused")
except postgrid.BadRequestError as e:
    message = e.body["error"]["message"]
    check("countryCode" in message and "email" in message, "a BadRequestError names the fields")
try:
    PostGrid(print_mail_api_key="live_" + "0" * 64, base_url=BASE, max_retries=0).print_mail.sub_organizations.list()
    check(False, "a bad key is refused")
except postgrid.AuthenticationError as e:
    check(e.status_code == 401, "a bad key is an AuthenticationError")

print("postgrid client: all checks passed")
