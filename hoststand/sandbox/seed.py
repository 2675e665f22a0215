"""The demo restaurant, seeded deterministically: "The Corner Bistro", a 60-seat neighbourhood bistro.

`build_world(options, now)` depends only on (`options.seed`, `options.timezone`, the extras, and `now`):
the same inputs give the same world, byte for byte (all GUIDs are uuid5 of fixed names, all randomness
comes from one `random.Random` seeded with the seed and the service date).

What it builds, relative to `now` (the service day rolls over at 04:00 local):
- Toast config: revenue centers, service areas Window / Main Room / Back Room / Bar, tables with the exact
  names the app's floor plan (`resources/floorplans/bistro.json`) links to ("1".."4", "10".."17",
  "20".."23") plus POS-only "Bar 1"/"Bar 2"; dining options "Dine In" (DINE_IN) and "Take Out"
  (TAKE_OUT); jobs and employees (four servers, a host, a manager); the Menus v2 document.
  Toast tables carry no seat count; the seed keeps capacities privately (`World.table_seats`).
- OpenTable: tonight's book of 58–64 reservations in four seatings (about 17:00, 18:30, 20:00, 21:30,
  staggered by 15 minutes), never two on one table within a 100-minute turn; 4 cancelled; about 5
  without a table; party sizes 1–8 weighted to 2 and 4; about one guest in five with dietary or allergy
  notes in their own words; occasions as `visit_tags`; about 6 VIPs; about 5 preferred servers; US phone
  numbers in varied formats; past visits on guest profiles; a few guests without a booking tonight.
- States by time: a booking that started more than 100 minutes before `now` is Done (with a paid and
  closed Toast order at its table), one that started within the last 100 minutes is Seated (with an OPEN
  Toast order opened by staff, no externalId, items by how far the meal has gone), the rest Pending.
  An untabled booking whose time has passed by more than 30 minutes is a NoShow. At 16:00 local
  nothing is seated and Toast holds no orders at all.
- `extra_tables` / `extra_reservations` add an "Annex" area and a day-long book for benchmarks.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from . import opentable_data as otd
from . import toast_data as td
from .common import iso_z, local_naive, service_date, stable_guid, toast_ts
from .world import World

UTC = timezone.utc
RID = 424242
RESTAURANT_NAME = "The Corner Bistro"
TURN_MINUTES = 100


@dataclass(frozen=True)
class SeedOptions:
    """How to seed the sandbox world.

    now: the moment the world is seeded for (aware); None = the sandbox clock's current time.
    timezone: the restaurant's IANA zone.
    seed: the random seed; the same (now, timezone, seed, extras) always give the same world.
    extra_tables: that many more tables in an "Annex" area (named "100", "101", ...), for benchmarks.
    extra_reservations: that many more reservations over the whole day, on the extra tables where they
        fit (never overlapping), otherwise without a table.
    """

    now: datetime | None = None
    timezone: str = "America/New_York"
    seed: int = 7
    extra_reservations: int = 0
    extra_tables: int = 0

    def __post_init__(self) -> None:
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("SeedOptions.now must be timezone-aware")
        ZoneInfo(self.timezone)  # raises for an unknown zone
        if self.extra_reservations < 0 or self.extra_tables < 0:
            raise ValueError("extras must be >= 0")

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d["now"] = iso_z(self.now) if self.now else None
        return d


# ----------------------------------------------------------------------------------------- the place

# (service area, Toast table name, seats) — names must match resources/floorplans/bistro.json
TABLES: list[tuple[str, str, int]] = [
    ("Window", "1", 2), ("Window", "2", 2), ("Window", "3", 2), ("Window", "4", 2),
    ("Main Room", "10", 4), ("Main Room", "11", 4), ("Main Room", "12", 4), ("Main Room", "13", 4),
    ("Main Room", "14", 4), ("Main Room", "15", 4), ("Main Room", "16", 6), ("Main Room", "17", 8),
    ("Back Room", "20", 2), ("Back Room", "21", 2), ("Back Room", "22", 4), ("Back Room", "23", 6),
]
BAR_TABLES: list[tuple[str, str, int]] = [("Bar", "Bar 1", 2), ("Bar", "Bar 2", 2)]

# (first, last, chosen name or None, job, section tables, short name a guest would ask for)
STAFF: list[tuple[str, str, str | None, str, list[str], str | None]] = [
    ("Maria", "Lopez", None, "Server", ["1", "2", "3", "4", "10", "11"], "Maria"),
    ("James", "Chen", None, "Server", ["12", "13", "14", "15"], "James"),
    ("Aisha", "Patel", None, "Server", ["16", "17", "Bar 1", "Bar 2"], "Aisha"),
    ("Thomas", "Becker", "Tom", "Server", ["20", "21", "22", "23"], "Tom"),
    ("Priya", "Raman", None, "Host", [], None),
    ("Grace", "Whitfield", None, "Manager", [], None),
]
JOBS: list[tuple[str, str, float, bool]] = [
    ("Server", "HOURLY", 10.00, True),
    ("Host", "HOURLY", 18.00, False),
    ("Manager", "SALARY", 1500.00, False),
    ("Bartender", "HOURLY", 12.00, True),
]

# Waves of seatings: (earliest, latest) start in minutes after local midnight, 15-minute steps.
WAVES = [(16 * 60 + 45, 17 * 60 + 30), (18 * 60 + 15, 19 * 60 + 15), (19 * 60 + 45, 20 * 60 + 45), (21 * 60 + 15, 22 * 60 + 15)]

FIRST_NAMES = [
    "Olivia", "Noah", "Maya", "Ethan", "Chloe", "Lucas", "Isabel", "Omar", "Zoe", "Felix", "Amara", "Jonah", "Mei",
    "Carlos", "Leah", "Victor", "Nadia", "Owen", "Ruth", "Theo", "Imani", "Rosa", "Alice", "Diego", "Yusuf",
    "Clara", "Ravi", "Lena", "Malik", "Ivy", "Paolo", "Sara", "Ben", "Tessa", "Andre", "June", "Kofi", "Hugo",
    "Freya", "Samuel", "Layla", "Mateo", "Nora", "Arjun", "Greta", "Tobias", "Wendy", "Elliot", "Farah", "Gabriel",
]
LAST_NAMES = [
    "Johnson", "Nguyen", "Kowalski", "Murphy", "Schmidt", "Kim", "Ali", "Martin", "Fischer", "Van der Berg",
    "Lefèvre", "Haddad", "Brennan", "Silva", "Novak", "Andersson", "Hughes", "Moreau", "Reyes", "Dubois",
    "Walsh", "Yamamoto", "Park", "Russo", "Baker", "Price", "Ortiz", "Sullivan", "Abbott", "Stein", "Ivanova",
    "Mendes", "Quinn", "Larsen", "Osei", "Castillo", "Bauer", "Ferreira", "Doyle", "Lindqvist", "Mwangi",
    "Chowdhury", "Keller", "Romano", "Whitaker", "Delgado", "Horvat", "MacLeod", "Sato", "Jensen",
]

# Scripted guests: found by name in tests and the demo. (first, last, profile, booking, wants)
SCRIPTED: list[dict[str, Any]] = [
    {"first": "Ann", "last": "Smith", "tags": ["VIP", "Regular"], "food": "no nuts pls, epipen",
     "visit_tags": ["Birthday"], "server": "Maria", "phone": "(212) 555-0143", "birthday_tonight": True,
     "seating": "Window if possible", "regular": True, "min_party": 2, "earliest": 18 * 60},
    {"first": "Robert", "last": "Smith", "tags": [], "phone": "212.555.0199", "min_party": 1},
    {"first": "Daniel", "last": "Okafor", "tags": ["VIP"], "request": "Severe shellfish allergy!!",
     "visit_tags": ["Anniversary"], "anniversary_tonight": True, "phone": "+1 917 555 0123", "regular": True,
     "min_party": 2},
    {"first": "Elena", "last": "Rossi", "tags": ["Regular"], "food": "celiac - strict GF please",
     "visit_tags": ["Business Meal"], "company": "Rossi & Partners LLP", "regular": True, "min_party": 4},
    {"first": "Marcus", "last": "Cohen", "tags": [], "request": "allergic to sesame AND peanuts", "min_party": 2},
    {"first": "Priya", "last": "Nair", "tags": [], "food": "vegan", "min_party": 2},
    {"first": "Sofia", "last": "García", "tags": [], "request": "pregnant, no raw fish or unpasteurised cheese",
     "visit_tags": ["Date Night"], "min_party": 2},
    {"first": "Liam", "last": "O'Brien", "tags": ["Regular"], "food": "mild onion intolerance", "server": "James",
     "regular": True, "min_party": 2},
    {"first": "Hannah", "last": "Goldberg", "tags": [], "food": "lactose intolerant", "min_party": 1},
    {"first": "Kenji", "last": "Takahashi", "tags": ["VIP"], "food": "EpiPen on me - tree nuts", "server": "Tom",
     "regular": True, "min_party": 2},
]
EXTRA_DIETARY = [
    ("food", "no pork"), ("request", "vegetarian, one in party is vegan"), ("food", "shellfish allergy"),
    ("food", "dairy free if possible"), ("request", "gluten free (preference, not allergy)"),
    ("food", "no mushrooms please"), ("request", "kosher style - no shellfish or pork"),
]
# Guests in the book without a booking tonight (search realism: near-misses of "Smith").
BOOK_ONLY = [("Anna", "Smithson"), ("Jo", "Smyth"), ("Mary", "Lopez"), ("Tom", "Baker"), ("Chen", "Wei"),
             ("Olga", "Petrova"), ("Sam", "Smith-Jones"), ("Beatriz", "Okafor")]
OCCASIONS = ["Birthday", "Anniversary", "Date Night", "Business Meal"]
GUEST_REQUESTS = ["Could we have a quiet table?", "Celebrating with friends!", "May be 10 min late",
                  "Bringing a baby - high chair please", "Booth if possible", "First time here!"]
VENUE_NOTES = ["Confirmed by phone", "High chair needed", "Comp dessert if birthday", "Asked for a quiet table",
               "Wine list sent by email"]
SEATING_NOTES = ["booth if possible", "not near the door", "window please", "wheelchair user - step-free access"]
PROFILE_NOTES = ["Always orders the duck", "Wine collector - likes Burgundy", "Prefers still water",
                 "Friend of the chef"]
ORIGINS = ["Network"] * 11 + ["Restaurant Website"] * 4 + ["Phone/In-House"] * 4 + ["Reserve with Google"]
AREA_CODES = ["212", "646", "917", "718", "347", "332"]
_COURSES = tuple([name for name, _, _ in td.MENU[k][1]] for k in range(4))  # starters, mains, desserts, drinks


def _phone(rng: random.Random, n: int) -> str:
    area = rng.choice(AREA_CODES)
    last = f"01{n % 100:02d}"
    style = rng.randrange(6)
    if style == 0:
        return f"({area}) 555-{last}"
    if style == 1:
        return f"{area}.555.{last}"
    if style == 2:
        return f"+1 {area} 555 {last}"
    if style == 3:
        return f"{area}-555-{last}"
    if style == 4:
        return f"{area}555{last}"
    return f"+1{area}555{last}"


def _party_for_table(rng: random.Random, seats: int) -> int:
    if seats <= 2:
        return rng.choice([2, 2, 2, 2, 1])
    if seats <= 4:
        return rng.choice([4, 4, 4, 4, 4, 3, 3, 2, 2, 2])
    if seats <= 6:
        return rng.choice([6, 6, 5, 5, 4])
    return rng.choice([8, 7, 7, 6, 6, 5])


def _party_free(rng: random.Random) -> int:
    return rng.choices([1, 2, 3, 4, 5, 6, 7, 8], weights=[1, 10, 3, 7, 2, 2, 1, 1])[0]


def _chain(rng: random.Random) -> list[int]:
    """Start minutes for one table through the night, at least one turn apart."""
    out: list[int] = []
    for lo, hi in WAVES:
        cands = [t for t in range(lo, hi + 1, 15) if not out or t >= out[-1] + TURN_MINUTES]
        if not cands:
            continue
        if not out:
            t = rng.choices(cands, weights=[4, 4, 2, 1][: len(cands)])[0]
        else:
            t = cands[0] if rng.random() < 0.7 else rng.choice(cands[:3])
        out.append(t)
    return out


class _Builder:
    def __init__(self, options: SeedOptions, now: datetime) -> None:
        self.o = options
        self.now = now.astimezone(UTC)
        self.tz = ZoneInfo(options.timezone)
        self.sd: date = service_date(self.now, self.tz)
        self.rng = random.Random(f"hoststand-sandbox:{options.seed}:{self.sd.isoformat()}")
        self.restaurant_guid = stable_guid("toast", "restaurant", RESTAURANT_NAME)
        self.w = World(
            tz=self.tz, seeded_at=self.now, service_date=self.sd, seed=options.seed, rid=RID,
            restaurant={"name": RESTAURANT_NAME, "timezone": options.timezone, "seats": 60, "closeout_hour": 4,
                        "rid": RID, "toast_restaurant_guid": self.restaurant_guid},
        )
        self.w.restaurant_guid = self.restaurant_guid
        self.config_time = self.local(0, 0) - timedelta(days=45)
        self.server_for_table: dict[str, dict[str, Any]] = {}
        self.server_by_short: dict[str, dict[str, Any]] = {}
        self.used_names: set[tuple[str, str]] = set()
        self.gpids: set[int] = set()
        self.order_seq = 0
        self.bdate = int(self.sd.strftime("%Y%m%d"))
        self.table_by_name: dict[str, dict[str, Any]] = {}

    # -------------------------------------------------------------- helpers
    def local(self, hour: int, minute: int, day_offset: int = 0) -> datetime:
        d = self.sd + timedelta(days=day_offset)
        return datetime(d.year, d.month, d.day, tzinfo=self.tz).replace(hour=0) + timedelta(hours=hour, minutes=minute)

    def at_minutes(self, minutes: int) -> datetime:
        """Local service-date time `minutes` after midnight (wall clock, DST-safe), as UTC."""
        d = self.sd
        naive = datetime(d.year, d.month, d.day) + timedelta(minutes=minutes)
        return naive.replace(tzinfo=self.tz).astimezone(UTC)

    # -------------------------------------------------------------- Toast config
    def toast_config(self) -> None:
        w = self.w
        rcs = {name: stable_guid("toast", "revenue-center", name) for name in ("Dining Room", "Bar")}
        for name, guid in rcs.items():
            w.revenue_centers[guid] = {"guid": guid, "entityType": "RevenueCenter", "name": name, "description": None}
        areas = ["Window", "Main Room", "Back Room", "Bar"] + (["Annex"] if self.o.extra_tables else [])
        area_guid: dict[str, str] = {}
        for name in areas:
            guid = stable_guid("toast", "service-area", name)
            area_guid[name] = guid
            rc = rcs["Bar"] if name == "Bar" else rcs["Dining Room"]
            w.service_areas[guid] = {"guid": guid, "entityType": "ServiceArea", "name": name,
                                     "revenueCenter": td.ref(rc, "RevenueCenter")}
        all_tables = TABLES + BAR_TABLES + self.extra_table_list()
        for area, name, seats in all_tables:
            guid = stable_guid("toast", "table", name)
            rc = rcs["Bar"] if area == "Bar" else rcs["Dining Room"]
            w.tables[guid] = {
                "guid": guid, "entityType": "Table", "externalId": None, "name": name,
                "serviceArea": {"guid": area_guid[area], "entityType": "ServiceArea"},
                "revenueCenter": {"guid": rc, "entityType": "RevenueCenter", "externalId": None},
            }
            w.table_seats[name] = seats
            self.table_by_name[name] = w.tables[guid]
            if area != "Bar":
                w.ot_tables[name] = seats
        for name, behavior in (("Dine In", "DINE_IN"), ("Take Out", "TAKE_OUT")):
            guid = stable_guid("toast", "dining-option", name)
            w.dining_options[guid] = {"guid": guid, "entityType": "DiningOption", "externalId": None, "name": name,
                                      "behavior": behavior, "curbside": False}
        job_guid: dict[str, str] = {}
        for title, freq, wage, tipped in JOBS:
            guid = stable_guid("toast", "job", title)
            job_guid[title] = guid
            w.jobs[guid] = {"guid": guid, "entityType": "RestaurantJob", "externalId": None,
                            "createdDate": toast_ts(self.config_time), "modifiedDate": toast_ts(self.config_time),
                            "deletedDate": None, "title": title, "deleted": False, "wageFrequency": freq,
                            "defaultWage": wage, "tipped": tipped, "code": title[:3].upper(),
                            "excludeFromReporting": False}
        for i, (first, last, chosen, job, section, short) in enumerate(STAFF):
            guid = stable_guid("toast", "employee", first, last)
            emp = {
                "guid": guid, "entityType": "RestaurantUser", "externalId": None,
                "createdDate": toast_ts(self.config_time), "modifiedDate": toast_ts(self.config_time),
                "deletedDate": None, "firstName": first, "chosenName": chosen, "lastName": last,
                "email": f"{first.lower()}.{last.lower()}@cornerbistro.example", "phoneNumber": f"212555{1000 + i:04d}",
                "phoneNumberCountryCode": "1", "externalEmployeeId": f"CB-{101 + i}", "deleted": False,
                "jobReferences": [{"guid": job_guid[job], "entityType": "RestaurantJob", "externalId": None}],
                "wageOverrides": [], "v2EmployeeGuid": stable_guid("toast", "employee-v2", first, last),
            }
            w.employees[guid] = emp
            for t in section:
                self.server_for_table[t] = emp
            if short:
                self.server_by_short[short] = emp
        servers = [e for e in w.employees.values() if e["jobReferences"][0]["guid"] == job_guid["Server"]]
        for k, (_, name, _) in enumerate(self.extra_table_list()):
            self.server_for_table[name] = servers[k % len(servers)]
        for guid in list(w.revenue_centers) + list(w.service_areas) + list(w.tables) + list(w.dining_options):
            w.config_modified[guid] = self.config_time
        w.restaurant_service = td.ref(stable_guid("toast", "restaurant-service", "Dinner"), "RestaurantService")
        w.menu = td.menu_document(self.restaurant_guid, self.o.timezone, self.config_time)
        w.menu_items, w.menu_groups = td.menu_index()

    def extra_table_list(self) -> list[tuple[str, str, int]]:
        sizes = [2, 4, 4, 6, 2, 4, 8]
        return [("Annex", str(100 + k), sizes[k % len(sizes)]) for k in range(self.o.extra_tables)]

    # -------------------------------------------------------------- the book
    def plan(self) -> list[dict[str, Any]]:
        rng = self.rng
        n_total = rng.randint(58, 64)
        n_untabled = rng.choice([4, 5, 5, 6])
        n_cancelled = 4
        n_tabled = n_total - n_untabled - n_cancelled
        slots: list[tuple[str, int]] = []
        for _attempt in range(100):
            slots = [(name, t) for _, name, _ in TABLES for t in _chain(rng)]
            if len(slots) >= n_tabled:
                break
        n_tabled = min(n_tabled, len(slots))
        drop = set(rng.sample(range(len(slots)), len(slots) - n_tabled))
        plans: list[dict[str, Any]] = []
        for i, (name, t) in enumerate(slots):
            if i in drop:
                continue
            plans.append({"table": name, "minute": t, "party": _party_for_table(rng, self.w.ot_tables[name]),
                          "kind": "tabled"})
        all_slot_minutes = [t for lo, hi in WAVES for t in range(lo, hi + 1, 15)]
        for _ in range(n_untabled):
            plans.append({"table": None, "minute": rng.choice(all_slot_minutes), "party": _party_free(rng),
                          "kind": "untabled"})
        for _ in range(n_cancelled):
            plans.append({"table": None, "minute": rng.choice(all_slot_minutes), "party": _party_free(rng),
                          "kind": "cancelled"})
        plans.extend(self.extra_plans())
        order = {name: k for k, (_, name, _) in enumerate(TABLES + self.extra_table_list())}
        plans.sort(key=lambda p: (p["minute"], order.get(p["table"], 10**6), p["kind"], p["party"]))
        return plans

    def extra_plans(self) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        n = self.o.extra_reservations
        if not n:
            return out
        tables = self.extra_table_list()
        for _, name, seats in tables:
            t = 11 * 60 + rng.choice([0, 15, 30])
            while t <= 23 * 60 and len(out) < n:
                out.append({"table": name, "minute": t, "party": _party_for_table(rng, seats), "kind": "tabled",
                            "extra": True})
                t += TURN_MINUTES + rng.choice([5, 10, 15, 20])
            if len(out) >= n:
                break
        while len(out) < n:
            out.append({"table": None, "minute": 11 * 60 + 15 * rng.randrange(48), "party": _party_free(rng),
                        "kind": "untabled", "extra": True})
        return out

    def pick_name(self) -> tuple[str, str]:
        for _ in range(200):
            pair = (self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES))
            if pair not in self.used_names:
                self.used_names.add(pair)
                return pair
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def gpid(self) -> int:
        while True:
            g = self.rng.randrange(100_000_000_000, 999_999_999_999)
            if g not in self.gpids:
                self.gpids.add(g)
                return g

    def build_guest(self, key: str, spec: dict[str, Any] | None, n: int, first: str, last: str,
                    booked: datetime, *, scripted: bool = False) -> dict[str, Any]:
        rng, sd = self.rng, self.sd
        spec = spec or {}
        regular = spec.get("regular") or ("Regular" in spec.get("tags", []))
        tags = list(spec.get("tags", []))
        first_visit = last_visit = None
        if regular:
            first_visit = (sd - timedelta(days=rng.randint(400, 2200))).isoformat()
            last_visit = (sd - timedelta(days=rng.randint(7, 40))).isoformat()
        elif rng.random() < 0.4:
            first_visit = (sd - timedelta(days=rng.randint(60, 900))).isoformat()
            last_visit = first_visit if rng.random() < 0.5 else (sd - timedelta(days=rng.randint(20, 59))).isoformat()
        birth = None
        if spec.get("birthday_tonight"):
            birth = sd.replace(year=1984 if not (sd.month == 2 and sd.day == 29) else 1984).isoformat()
        elif rng.random() < 0.3:
            birth = date(rng.randint(1950, 2002), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
        anniv = None
        if spec.get("anniversary_tonight"):
            anniv = sd.replace(year=2011 if not (sd.month == 2 and sd.day == 29) else 2012).isoformat()
        elif rng.random() < 0.1:
            anniv = date(rng.randint(1985, 2022), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
        email = None if rng.random() < 0.15 and not scripted else (
            f"{first.lower()}.{last.lower()}".replace(" ", "").replace("'", "").replace("í", "i").replace("è", "e")
            + "@" + rng.choice(["example.com", "example.org", "example.net"]))
        created = self.now - timedelta(days=rng.randint(30, 900)) if first_visit else booked
        if first_visit:
            created = min(created, datetime.fromisoformat(first_visit).replace(tzinfo=UTC))
        phone = spec.get("phone") or _phone(rng, n)
        if scripted:
            ident = stable_guid("opentable", "guest", f"{first} {last}")
        else:
            ident = stable_guid("opentable", "guest", self.o.seed, sd, key)
        return otd.guest(
            rid=RID, ident=ident, gpid=self.gpid(), first_name=first, last_name=last, email=email, phone=phone,
            phone_type=rng.choice(["Mobile", "Mobile", "Mobile", "Home", "Work"]), tags=tags,
            created=created, updated=max(created, booked), tz=self.tz, birth_date=birth, anniversary_date=anniv,
            notes=spec.get("notes") or (rng.choice(PROFILE_NOTES) if regular and rng.random() < 0.6 else None),
            notes_special_relationship=("Long-time regular" if regular and rng.random() < 0.3 else None),
            notes_food_and_drink=spec.get("food"),
            notes_seating=spec.get("seating") or (rng.choice(SEATING_NOTES) if rng.random() < 0.1 else None),
            date_first_visit=first_visit, date_last_visit=last_visit, company_name=spec.get("company"),
            sequence_id=2 if regular else 1,
        )

    def assign_scripts(self, plans: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
        """Place the scripted guests on suitable bookings (deterministically)."""
        rng = self.rng
        base = [i for i, p in enumerate(plans) if p["kind"] != "cancelled" and not p.get("extra")]
        out: dict[int, dict[str, Any]] = {}
        for spec in SCRIPTED:
            cands = [i for i in base if i not in out and plans[i]["party"] >= spec.get("min_party", 1)
                     and plans[i]["minute"] >= spec.get("earliest", 0) and plans[i]["kind"] == "tabled"]
            if not cands:
                cands = [i for i in base if i not in out]
            if cands:
                out[rng.choice(cands)] = spec
        return out

    def book(self) -> None:
        rng, w, now = self.rng, self.w, self.now
        plans = self.plan()
        scripts = self.assign_scripts(plans)
        free = [i for i in range(len(plans)) if i not in scripts and plans[i]["kind"] != "cancelled"]
        main_book = [i for i in free if not plans[i].get("extra")]
        diets = rng.sample(EXTRA_DIETARY, 3)  # with the scripted ten: about one booking in five
        extra_diet = dict(zip(rng.sample(main_book, min(len(diets), len(main_book))), diets))
        extra_vip = set(rng.sample(main_book, min(3, len(main_book))))
        extra_regular = set(rng.sample(main_book, min(5, len(main_book))))
        extra_server = dict(zip(rng.sample(main_book, min(3, len(main_book))), ["Aisha", "Maria", "James"]))
        for i, p in enumerate(plans):
            start = self.at_minutes(p["minute"])
            spec = dict(scripts.get(i) or {})
            if i in extra_diet:
                where, text = extra_diet[i]
                spec["food" if where == "food" else "request"] = text
            if i in extra_vip:
                spec["tags"] = ["VIP"]
                spec["regular"] = True
            if i in extra_regular and "tags" not in spec:
                spec["tags"] = ["Regular"]
                spec["regular"] = True
            if i in extra_server:
                spec["server"] = extra_server[i]
            scripted = i in scripts
            first, last = (spec["first"], spec["last"]) if scripted else self.pick_name()
            if scripted:
                self.used_names.add((first, last))
            lead_days = rng.choice([0, 1, 2, 3, 5, 7, 10, 14, 21, 30])
            booked = start - timedelta(days=lead_days, hours=rng.randint(1, 9), minutes=rng.randint(0, 59))
            booked = min(booked, now - timedelta(minutes=rng.randint(20, 300)))
            guest = self.build_guest(str(i), spec, i, first, last, booked, scripted=scripted)
            w.put_guest(guest)
            self.add_reservation(i, p, start, booked, guest, spec)
        for k, (first, last) in enumerate(BOOK_ONLY):
            booked = now - timedelta(days=rng.randint(20, 400))
            w.put_guest(self.build_guest(f"book-{k}", None, 90 + k, first, last, booked, scripted=True))

    def add_reservation(self, i: int, p: dict[str, Any], start: datetime, booked: datetime, guest: dict[str, Any],
                        spec: dict[str, Any]) -> None:
        rng, w, now, tz = self.rng, self.w, self.now, self.tz
        ident = stable_guid("opentable", "reservation", self.o.seed, self.sd, i)
        confirmation = (self.bdate % 1_000_000) * 10000 + i + 1  # yyMMdd then a running number
        table = [p["table"]] if p["table"] else []
        visit_tags = list(spec.get("visit_tags", []))
        if not visit_tags and rng.random() < 0.18:
            visit_tags = [rng.choice(OCCASIONS)]
        request = spec.get("request")
        if request is None and rng.random() < 0.15:
            request = rng.choice(GUEST_REQUESTS)
        seq = 1
        updated = booked
        seated = done = arrived = None
        kind = p["kind"]
        if kind == "cancelled":
            state = "Cancelled"
            updated = booked + (min(now, start) - booked) * rng.uniform(0.2, 0.9)
            seq = 2
        elif start <= now - timedelta(minutes=TURN_MINUTES) and table:
            state = "Done"
            seated = start + timedelta(minutes=rng.randint(-5, 10))
            done = min(seated + timedelta(minutes=rng.randint(85, 110)), now - timedelta(minutes=1))
            arrived = seated - timedelta(minutes=rng.randint(0, 5))
            updated, seq = done, 3
        elif start <= now and table:
            state = "Seated"
            seated = min(start + timedelta(minutes=rng.randint(-5, 10)), now - timedelta(minutes=1))
            arrived = seated - timedelta(minutes=rng.randint(0, 5))
            updated, seq = seated, 2
        elif not table and start + timedelta(minutes=30) < now:
            state = "NoShow"
            updated, seq = start + timedelta(minutes=30), 2
        else:
            state = "Pending"
            if rng.random() < 0.2:  # modified once after booking (party size, note, ...)
                updated = booked + (now - booked) * rng.uniform(0.1, 0.9)
                seq = 2
        res = otd.reservation(
            rid=RID, ident=ident, confirmation_id=confirmation, guest_id=guest["id"], state=state,
            party_size=p["party"], start=start, created=booked, updated=updated, tz=tz, sequence_id=seq,
            table_number=table, visit_tags=visit_tags, origin=rng.choice(ORIGINS), guest_request=request,
            venue_notes=rng.choice(VENUE_NOTES) if rng.random() < 0.1 else None,
            opentable_notes=None, server=spec.get("server"), seated=seated, done=done, arrived=arrived,
        )
        w.put_reservation(res, start)
        if state in ("Seated", "Done"):
            self.staff_order(i, res, seated, done, spec.get("server"), p["table"])

    # -------------------------------------------------------------- Toast orders at tables
    def staff_order(self, i: int, res: dict[str, Any], seated: datetime, done: datetime | None,
                    preferred: str | None, table_name: str) -> None:
        rng, w, tz = self.rng, self.w, self.tz
        opened = seated + timedelta(minutes=rng.randint(1, 4))
        if opened > self.now:
            opened = seated
        server = self.server_by_short.get(preferred or "") or self.server_for_table[table_name]
        party = int(res["party_size"])
        end = done if done is not None else self.now
        elapsed = (end - opened).total_seconds() / 60
        picks: list[tuple[str, float, int]] = []  # (item name, quantity, minutes after opening)
        starters, mains, desserts, drinks = _COURSES
        if elapsed >= 8:
            picks.append((rng.choice(drinks[:3]), float(party), 5))
            if party > 2:
                picks.append((drinks[3], 1.0, 5))
        if elapsed >= 20 and rng.random() < 0.8:
            for name in rng.sample(starters, min(len(starters), max(1, party // 2))):
                picks.append((name, 1.0, 15))
        if elapsed >= 40:
            for _ in range(party):
                picks.append((rng.choice(mains), 1.0, 35))
        if elapsed >= 75 and rng.random() < 0.7:
            for name in rng.sample(desserts, min(len(desserts), max(1, party // 2))):
                picks.append((name, 1.0, 70))
        if done is None and rng.random() < 0.25:
            picks = []  # some open tables have nothing rung in yet
        self.order_seq += 1
        oguid = stable_guid("toast", "order", self.o.seed, self.sd, i)
        dining = next(iter(w.dining_options.values()))
        dining_ref = td.ref(dining["guid"], "DiningOption")
        sels = []
        for k, (name, qty, after) in enumerate(picks):
            item_guid = td.menu_item_guid(name)
            sels.append(td.selection(
                guid=stable_guid("toast", "selection", oguid, k), item_guid=item_guid, item=w.menu_items[item_guid],
                quantity=qty, now=opened + timedelta(minutes=after), dining_option=dining_ref,
                fulfillment_status="SENT",
            ))
        table = self.table_by_name[table_name]
        bdate = self.bdate
        server_ref = td.ref(server["guid"], "RestaurantUser")
        chk = td.check(guid=stable_guid("toast", "check", oguid, 0), now=opened,
                       display_number=w.next_display_number(bdate), selections=sels, opened_by=server_ref)
        area = w.service_areas[table["serviceArea"]["guid"]]
        order = td.order(
            guid=oguid, now=opened, tz=tz, display_number=chk["displayNumber"], dining_option=dining_ref,
            checks=[chk], table=td.ref(table["guid"], "Table"), service_area=td.ref(area["guid"], "ServiceArea"),
            revenue_center=td.ref(table["revenueCenter"]["guid"], "RevenueCenter"), server=server_ref,
            restaurant_service=w.restaurant_service, number_of_guests=party, source="In Store",
            created_device={"id": "sandbox-pos-host-1"},
        )
        if sels:
            last = max(opened + timedelta(minutes=a) for _, _, a in picks)
            td.touch(order, min(last, end))
            chk["modifiedDate"] = order["modifiedDate"]
        if done is not None:
            td.close_order(order, done - timedelta(minutes=rng.randint(2, 8)), tz, tip_rate=rng.choice([0.18, 0.2, 0.22]))
            self.pos_data_for(res, order, done)
        w.put_order(order)

    def pos_data_for(self, res: dict[str, Any], order: dict[str, Any], done: datetime) -> None:
        """What an integration already sent OpenTable for a party that finished before the sandbox started
        (the same record `POST /sync/v2/pos-data` stores), so the booking platform holds every closed check."""
        checks = [c for c in order["checks"] if not c.get("voided")]
        cents = lambda v: int(round(float(v or 0) * 100))  # noqa: E731
        counts: dict[str, float] = {}
        for c in checks:
            for sel in c.get("selections", []):
                name = sel.get("displayName") or "Item"
                counts[name] = counts.get(name, 0) + float(sel.get("quantity") or 1)
        record: dict[str, Any] = {
            "id": stable_guid("opentable", "pos-data", res["id"]),
            "rid": self.w.rid,
            "guest_id": res["guest_id"],
            "confirmation_id": res["confirmation_id"],
            "reservation_id": res["id"],
            "currency_code": "USD",
            "currency_denominator": 100,
            "check_ids": [c["guid"] for c in checks],
            "pos_sub_total": sum(cents(c.get("amount")) for c in checks),
            "pos_total_spend": sum(cents(c.get("totalAmount")) for c in checks),
            "pos_tax": sum(cents(c.get("taxAmount")) for c in checks),
            "pos_tip": sum(cents(p.get("tipAmount")) for c in checks for p in c.get("payments", [])),
            "comps": 0,
            "covers": order.get("numberOfGuests"),
            "pos_order_items": [{"name": n, "quantity": q, "comment": None, "ticket_item_modifiers": []} for n, q in counts.items()],
            "scheduled_time": res["scheduled_time"],
            "scheduled_time_utc": res["scheduled_time_utc"],
            "sequence_id": 1,
        }
        otd.set_time(record, "created_date", done, self.tz)
        record["updated_at"] = local_naive(done, self.tz, millis=True)
        record["updated_at_utc"] = iso_z(done)
        self.w.put_pos_data(record)
        res["pos_data"] = {k: record[k] for k in ("id", "check_ids", "covers", "pos_sub_total", "pos_tax", "pos_tip",
                                                   "pos_total_spend", "comps", "currency_code", "currency_denominator")}

    def bar_tab(self) -> None:
        """An open bar tab once service has started (a POS-only table the app must cope with)."""
        w, now = self.w, self.now
        start_service = self.at_minutes(17 * 60)
        if now < start_service:
            return
        opened = max(start_service, now - timedelta(minutes=25))
        table = self.table_by_name["Bar 1"]
        server = self.server_for_table["Bar 1"]
        dining_ref = td.ref(next(iter(w.dining_options)), "DiningOption")
        oguid = stable_guid("toast", "order", self.o.seed, self.sd, "bar-1")
        item_guid = td.menu_item_guid("Old Fashioned")
        sel = td.selection(guid=stable_guid("toast", "selection", oguid, 0), item_guid=item_guid,
                           item=w.menu_items[item_guid], quantity=2.0, now=opened, dining_option=dining_ref,
                           fulfillment_status="SENT")
        chk = td.check(guid=stable_guid("toast", "check", oguid, 0), now=opened,
                       display_number=w.next_display_number(self.bdate), selections=[sel],
                       opened_by=td.ref(server["guid"], "RestaurantUser"))
        area = w.service_areas[table["serviceArea"]["guid"]]
        order = td.order(
            guid=oguid, now=opened, tz=self.tz, display_number=chk["displayNumber"], dining_option=dining_ref,
            checks=[chk], table=td.ref(table["guid"], "Table"), service_area=td.ref(area["guid"], "ServiceArea"),
            revenue_center=td.ref(table["revenueCenter"]["guid"], "RevenueCenter"),
            server=td.ref(server["guid"], "RestaurantUser"), restaurant_service=w.restaurant_service,
            number_of_guests=2, source="In Store", created_device={"id": "sandbox-pos-bar-1"},
        )
        w.put_order(order)


def build_world(options: SeedOptions, now: datetime) -> World:
    """Seed a fresh world for `now` (aware). Deterministic in (options, now)."""
    if now.tzinfo is None:
        raise ValueError("build_world needs an aware `now`")
    b = _Builder(options, now)
    with b.w.lock:
        b.toast_config()
        b.book()
        b.bar_tab()
        b.w.version = 0
    return b.w
