"""Wording tables for the procedural generator (generator.py reads them; no logic here).

Every choice point is a list of options with a stable id. Some options are held out of
training, in two tiers that never mix:
  DEV   (`D(...)`, `CD(...)`, `heldout=DEV`): only the `valid_phrasing` split uses them. Look at
        its errors and tune the training wording against it.
  TEST  (`H(...)`, `CH(...)`, `heldout=TEST`): only the `heldout_phrasing` split uses them.
        Written before any model saw them; never tune anything on it.
Wherever a choice point has options of a split's tier, that split uses nothing else (and
otherwise training options). Ids are unique across all tables.

Template mini-language (filled by generator._Words):
  {X} {Y}        names;  {S} = X again as subject ("she" or the name);  {Xq} {Yq} = in questions
                 ({Xqo}: Xq as an object, "her" for "she")
  {Xposs}        "Maya's";  {her} = X's possessive pronoun;  {obj} = X's object pronoun
  {n} {m}        numbers of the fact;  {n:item} = "1 apple" / "5 apples";  {item:n} = the noun
                 agreeing with n;  {item} {items} = singular / plural;  {$n} = "$5" / "5 dollars"
  {v:buy}        the verb in the problem's tense, third person singular ("buys" / "bought");
                 {vp:cost} plural ("cost"); {be:n} agrees with n ("is" / "are" / "was" / "were");
                 {v:gain} with a slot name conjugates the frame's verb for that slot
  {gain} {make} {travel}   slot verbs in base form
"""

from __future__ import annotations

from dataclasses import dataclass

TRAIN, DEV, TEST = "", "dev", "test"  # an option's `heldout` tier
# Training wording grows in versions; a dataset config's `wording: N` uses the options with
# `since <= N`, so a dataset of an older version rebuilds byte for byte. 1: up to session 9
# (the shipped default's data); 2: about 110 more training options and three training
# scenes (session 10, docs/experiments.md section 14); 3: two cores that put a subject pronoun
# after "take" ("does it take she") are replaced by object-pronoun ones ("does it take her");
# 4: 129 more training options, six training scenes with their own verbs, and question-
# first layouts a little more often, and "does the shopping cost she" becomes "... cost her"
# (session 12, docs/experiments.md section 16).
# An option with `until = N` is left out of versions after N. Held-out options are all version 1.
WORDING_VERSIONS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Noun:
    singular: str
    plural: str

    def form(self, count: int) -> str:
        return self.singular if count == 1 else self.plural


def N(singular: str, plural: str = "") -> Noun:
    if plural:
        return Noun(singular, plural)
    if singular.endswith(("s", "sh", "ch", "x")) or singular.endswith("o"):
        return Noun(singular, singular + "es")
    if singular.endswith("y") and singular[-2] not in "aeiou":
        return Noun(singular, singular[:-1] + "ies")
    return Noun(singular, singular + "s")


@dataclass(frozen=True)
class Phrase:
    id: str
    text: str
    heldout: str = TRAIN
    since: int = 1  # the wording version that added it
    until: int | None = None  # the last wording version that has it; None: every later one


def T(id: str, text: str, since: int = 1) -> Phrase:
    return Phrase(id, text, since=since)


def D(id: str, text: str) -> Phrase:
    return Phrase(id, text, heldout=DEV)


def H(id: str, text: str) -> Phrase:
    return Phrase(id, text, heldout=TEST)


# ------------------------------------------------------------------ grammar

IRREGULAR_VERBS = {  # base: (third person singular, past)
    "be": ("is", "was"), "have": ("has", "had"), "do": ("does", "did"), "go": ("goes", "went"),
    "buy": ("buys", "bought"), "eat": ("eats", "ate"), "sell": ("sells", "sold"),
    "give": ("gives", "gave"), "lose": ("loses", "lost"), "win": ("wins", "won"),
    "find": ("finds", "found"), "catch": ("catches", "caught"), "make": ("makes", "made"),
    "get": ("gets", "got"), "put": ("puts", "put"), "split": ("splits", "split"),
    "hold": ("holds", "held"), "cost": ("costs", "cost"), "pay": ("pays", "paid"),
    "spend": ("spends", "spent"), "take": ("takes", "took"), "keep": ("keeps", "kept"),
    "drive": ("drives", "drove"), "ride": ("rides", "rode"), "run": ("runs", "ran"),
    "swim": ("swims", "swam"), "read": ("reads", "read"), "bring": ("brings", "brought"),
    "throw": ("throws", "threw"), "drop": ("drops", "dropped"), "plan": ("plans", "planned"),
    "stick": ("sticks", "stuck"), "grow": ("grows", "grew"), "blow": ("blows", "blew"),
    "lend": ("lends", "lent"), "build": ("builds", "built"), "lay": ("lays", "laid"),
    "travel": ("travels", "traveled"), "shop": ("shops", "shopped"), "wrap": ("wraps", "wrapped"),
    "feed": ("feeds", "fed"), "begin": ("begins", "began"),
    "set": ("sets", "set"), "hang": ("hangs", "hung"), "grab": ("grabs", "grabbed"),
    "cut": ("cuts", "cut"), "knit": ("knits", "knitted"), "outgrow": ("outgrows", "outgrew"),
    "come": ("comes", "came"), "write": ("writes", "wrote"), "stand": ("stands", "stood"),
    "string": ("strings", "strung"), "sew": ("sews", "sewed"), "release": ("releases", "released"),
    "deal": ("deals", "dealt"), "choose": ("chooses", "chose"), "send": ("sends", "sent"),
    "break": ("breaks", "broke"),
}  # fmt: skip

PRONOUNS = {"she": ("she", "her", "her"), "he": ("he", "him", "his")}  # subject, object, possessive

NAMES = (
    ("Maya", "she"), ("Tom", "he"), ("Liam", "he"), ("Emma", "she"), ("Noah", "he"),
    ("Olivia", "she"), ("Ava", "she"), ("Lucas", "he"), ("Mia", "she"), ("Ethan", "he"),
    ("Sofia", "she"), ("Leo", "he"), ("Zoe", "she"), ("Omar", "he"), ("Aisha", "she"),
    ("Ravi", "he"), ("Priya", "she"), ("Kenji", "he"), ("Yuki", "she"), ("Carlos", "he"),
    ("Lucia", "she"), ("Ben", "he"), ("Chloe", "she"), ("Sam", "he"), ("Nina", "she"),
    ("Jack", "he"), ("Grace", "she"), ("Daniel", "he"), ("Hannah", "she"), ("Oscar", "he"),
    ("Ella", "she"), ("Mateo", "he"), ("Fatima", "she"), ("Ivan", "he"), ("Anna", "she"),
    ("Jamal", "he"), ("Lily", "she"), ("Max", "he"), ("Rosa", "she"), ("Hugo", "he"),
)  # fmt: skip


# ------------------------------------------------------------------ scenario frames


@dataclass(frozen=True)
class Rate:
    verb: str  # base form: "bake"
    item: Noun
    period: Noun
    gathers: bool = True  # the items pile up (baked, collected), unlike laps run or seeds sown


@dataclass(frozen=True)
class Frame:
    id: str
    kind: str  # "objects", "travel" or "savings": which problem plans fit
    heldout: str = TRAIN
    items: tuple[Noun, ...] = ()
    kinds: tuple[str, ...] = ()  # adjectives for "5 red and 3 blue ..."
    containers: tuple[Noun, ...] = ()
    gain: tuple[str, ...] = ()  # verbs that add items
    loss: tuple[str, ...] = ()  # verbs that remove items
    receivers: tuple[Noun, ...] = ()
    rates: tuple[Rate, ...] = ()
    money: bool = False  # items can be bought at a price
    since: int = 1  # the wording version that added it
    until: int | None = None  # the last wording version that has it; None: every later one

    @property
    def gathering_rates(self) -> tuple[Rate, ...]:
        return tuple(rate for rate in self.rates if rate.gathers)


DAY, WEEK, HOUR, MINUTE, GAME = N("day"), N("week"), N("hour"), N("minute"), N("game")

FRAMES = (
    Frame(
        "market", "objects",
        items=(N("apple"), N("orange"), N("pear"), N("lemon"), N("banana"), N("peach")),
        kinds=("ripe", "unripe", "big", "small"),
        containers=(N("bag"), N("basket"), N("box")),
        gain=("buy", "pick up", "get"), loss=("eat", "give away", "use"),
        receivers=(N("friend"), N("neighbor"), N("cousin")),
        rates=(Rate("buy", N("orange"), WEEK), Rate("sell", N("melon"), HOUR, gathers=False)), money=True,
    ),
    Frame(
        "bakery", "objects",
        items=(N("cookie"), N("muffin"), N("cupcake"), N("brownie"), N("bagel"), N("croissant")),
        kinds=("chocolate", "plain"),
        containers=(N("box"), N("tray"), N("bag")),
        gain=("bake", "make", "buy"), loss=("sell", "eat", "give away"),
        receivers=(N("friend"), N("child", "children"), N("guest")),
        rates=(Rate("bake", N("cookie"), DAY), Rate("make", N("muffin"), HOUR),
               Rate("sell", N("loaf", "loaves"), HOUR, gathers=False)),
        money=True,
    ),
    Frame(
        "school", "objects",
        items=(N("pencil"), N("sticker"), N("crayon"), N("notebook"), N("eraser"), N("marker")),
        kinds=("red", "blue", "green"),
        containers=(N("box"), N("pack"), N("pencil case")),
        gain=("buy", "get", "receive"), loss=("give away", "lose", "use"),
        receivers=(N("classmate"), N("student"), N("friend")),
        rates=(Rate("read", N("page"), DAY, gathers=False),
               Rate("solve", N("math problem"), DAY, gathers=False),
               Rate("earn", N("gold star"), WEEK)),
        money=True,
    ),
    Frame(
        "farm", "objects",
        items=(N("egg"), N("potato"), N("pumpkin"), N("ear of corn", "ears of corn")),
        kinds=("large", "small"),
        containers=(N("basket"), N("crate"), N("bucket")),
        gain=("collect", "gather"), loss=("sell", "give away", "cook"),
        receivers=(N("neighbor"), N("family", "families"), N("worker")),
        rates=(Rate("collect", N("egg"), DAY), Rate("pick", N("pumpkin"), HOUR)), money=True,
    ),
    Frame(
        "toys", "objects",
        items=(N("marble"), N("toy car"), N("trading card"), N("yo-yo", "yo-yos"), N("toy robot")),
        kinds=("red", "blue", "shiny"),
        containers=(N("jar"), N("box"), N("bag")),
        gain=("win", "get", "buy", "find"), loss=("lose", "give away", "trade away"),
        receivers=(N("friend"), N("cousin"), N("brother")),
        rates=(Rate("collect", N("trading card"), WEEK), Rate("win", N("marble"), GAME)),
        money=True,
    ),
    Frame(
        "party", "objects",
        items=(N("balloon"), N("party hat"), N("candle"), N("gift bag"), N("paper plate")),
        kinds=("pink", "yellow", "gold"),
        containers=(N("box"), N("bag"), N("pack")),
        gain=("buy", "get", "bring"), loss=("give away", "hand out", "lose"),
        receivers=(N("guest"), N("child", "children"), N("friend")),
        rates=(Rate("blow up", N("balloon"), MINUTE), Rate("wrap", N("present"), HOUR)),
        money=True,
    ),
    Frame(
        "sports", "objects",
        items=(N("tennis ball"), N("soccer ball"), N("cone"), N("water bottle"), N("jersey")),
        kinds=("white", "orange"),
        containers=(N("bag"), N("box"), N("net")),
        gain=("buy", "get", "bring"), loss=("lose", "give away", "lend"),
        receivers=(N("teammate"), N("player"), N("team")),
        rates=(Rate("score", N("point"), GAME), Rate("run", N("lap"), DAY, gathers=False),
               Rate("swim", N("length"), DAY, gathers=False)),
        money=True,
    ),
    Frame(
        "cafe", "objects",
        items=(N("sandwich"), N("cup of tea", "cups of tea"), N("pancake"), N("salad"), N("wrap")),
        kinds=("hot", "cold", "vegan"),
        containers=(N("tray"), N("box"), N("basket")),
        gain=("make", "prepare", "order"), loss=("sell", "serve", "give away"),
        receivers=(N("customer"), N("table"), N("guest")),
        rates=(Rate("make", N("sandwich"), HOUR), Rate("serve", N("customer"), HOUR, gathers=False)),
        money=True,
    ),
    Frame(
        "animals", "objects",
        items=(N("chicken"), N("sheep", "sheep"), N("goat"), N("duck"), N("rabbit")),
        kinds=("white", "brown", "black"),
        containers=(N("pen"), N("cage"), N("coop")),
        gain=("buy", "get", "adopt"), loss=("sell", "give away"),
        receivers=(N("farmer"), N("neighbor"), N("family", "families")),
        rates=(Rate("feed", N("animal"), HOUR, gathers=False), Rate("brush", N("horse"), DAY, gathers=False),
               Rate("raise", N("duckling"), WEEK)),
    ),
    Frame(
        "office", "objects", since=2,
        items=(N("folder"), N("envelope"), N("stapler"), N("notepad"), N("pen")),
        kinds=("black", "white"),
        containers=(N("box"), N("tray"), N("cabinet")),
        gain=("buy", "get", "receive"), loss=("use", "lose", "give away"),
        receivers=(N("coworker"), N("intern"), N("manager")),
        rates=(Rate("print", N("flyer"), HOUR), Rate("answer", N("email"), HOUR, gathers=False)),
        money=True,
    ),
    Frame(
        "kitchen", "objects", since=2,
        items=(N("plate"), N("cup"), N("spoon"), N("fork"), N("napkin")),
        kinds=("clean", "dirty"),
        containers=(N("cupboard"), N("box"), N("basket")),
        gain=("buy", "get", "bring"), loss=("break", "lose", "give away"),
        receivers=(N("guest"), N("neighbor"), N("relative")),
        rates=(Rate("wash", N("dish", "dishes"), HOUR, gathers=False), Rate("bake", N("tart"), DAY)),
        money=True,
    ),
    Frame(
        "hardware", "objects", since=2,
        items=(N("nail"), N("screw"), N("bolt"), N("hook"), N("hinge")),
        kinds=("long", "short"),
        containers=(N("box"), N("jar"), N("bin")),
        gain=("buy", "get", "bring"), loss=("use", "lose", "give away"),
        receivers=(N("builder"), N("carpenter"), N("neighbor")),
        rates=(Rate("make", N("birdhouse"), DAY), Rate("fix", N("door"), DAY, gathers=False)),
        money=True,
    ),
    Frame(
        "florist", "objects", since=4,
        items=(N("rose"), N("tulip"), N("daisy"), N("lily", "lilies"), N("sunflower")),
        kinds=("white", "red", "purple"),
        containers=(N("vase"), N("bucket"), N("bunch", "bunches")),
        gain=("cut", "buy", "receive"), loss=("sell", "throw out", "hand out"),
        receivers=(N("customer"), N("friend"), N("teacher")),
        rates=(Rate("arrange", N("bouquet"), HOUR), Rate("wrap", N("bunch", "bunches"), HOUR)),
        money=True,
    ),
    Frame(
        "post office", "objects", since=4,
        items=(N("stamp"), N("postcard"), N("letter"), N("parcel"), N("envelope")),
        kinds=("small", "large"),
        containers=(N("sack"), N("tray"), N("box")),
        gain=("receive", "buy", "write"), loss=("mail", "send", "give away"),
        receivers=(N("pen pal"), N("relative"), N("neighbor")),
        rates=(Rate("write", N("letter"), DAY), Rate("sort", N("parcel"), HOUR, gathers=False)),
        money=True,
    ),
    Frame(
        "workshop", "objects", since=4,
        items=(N("plank"), N("board"), N("peg"), N("wheel"), N("wooden spoon")),
        kinds=("oak", "pine"),
        containers=(N("crate"), N("toolbox"), N("bin")),
        gain=("carve", "make", "buy"), loss=("use", "burn", "give away"),
        receivers=(N("neighbor"), N("carpenter"), N("friend")),
        rates=(Rate("carve", N("peg"), HOUR), Rate("sand", N("board"), HOUR, gathers=False)),
        money=True,
    ),
    Frame(
        "wardrobe", "objects", since=4,
        items=(N("shirt"), N("sock"), N("hat"), N("scarf", "scarves"), N("sweater")),
        kinds=("wool", "cotton", "striped"),
        containers=(N("closet"), N("basket"), N("suitcase")),
        gain=("buy", "knit", "receive"), loss=("outgrow", "throw out", "give away"),
        receivers=(N("cousin"), N("brother"), N("charity", "charities")),
        rates=(Rate("knit", N("scarf", "scarves"), WEEK), Rate("fold", N("shirt"), MINUTE, gathers=False)),
        money=True,
    ),
    Frame(
        "music", "objects", since=4,
        items=(N("guitar pick"), N("drumstick"), N("guitar string"), N("music sheet"), N("reed")),
        kinds=("new", "used"),
        containers=(N("case"), N("bag"), N("box")),
        gain=("buy", "win", "get"), loss=("break", "lose", "lend"),
        receivers=(N("bandmate"), N("student"), N("friend")),
        rates=(Rate("practice", N("song"), DAY, gathers=False), Rate("write", N("song"), WEEK)),
        money=True,
    ),
    Frame(
        "arcade", "objects", since=4,
        items=(N("token"), N("prize ticket"), N("stuffed animal"), N("bouncy ball"), N("keychain")),
        kinds=("gold", "silver"),
        containers=(N("cup"), N("bag"), N("bucket")),
        gain=("win", "earn", "collect"), loss=("spend", "trade in", "give away"),
        receivers=(N("friend"), N("classmate"), N("cousin")),
        rates=(Rate("win", N("prize ticket"), GAME), Rate("play", N("round"), HOUR, gathers=False)),
        money=True,
    ),
    Frame("travel", "travel"),
    Frame("savings", "savings"),
    # Held out (DEV tier, for valid_phrasing): whole scenes whose nouns and verbs never
    # occur in train or test.
    Frame(
        "garden", "objects", heldout=DEV,
        items=(N("tomato"), N("carrot"), N("strawberry"), N("pepper"), N("cucumber")),
        kinds=("red", "yellow"),
        containers=(N("basket"), N("crate"), N("bucket")),
        gain=("pick", "harvest", "grow"), loss=("give away", "sell", "eat"),
        receivers=(N("neighbor"), N("friend"), N("cousin")),
        rates=(Rate("plant", N("seed"), MINUTE, gathers=False), Rate("water", N("plant"), HOUR, gathers=False),
               Rate("pick", N("strawberry"), HOUR)),
        money=True,
    ),
    Frame(
        "library", "objects", heldout=DEV,
        items=(N("book"), N("magazine"), N("comic"), N("map"), N("poster")),
        kinds=("new", "old"),
        containers=(N("bag"), N("box"), N("cart")),
        gain=("borrow", "buy", "get"), loss=("return", "give away", "donate"),
        receivers=(N("reader"), N("club member"), N("student")),
        rates=(Rate("read", N("chapter"), DAY, gathers=False), Rate("shelve", N("book"), HOUR, gathers=False),
               Rate("receive", N("donated book"), DAY)),
        money=True,
    ),
    Frame(
        "beach", "objects", heldout=DEV,
        items=(N("seashell"), N("pebble"), N("starfish", "starfish"),
               N("piece of sea glass", "pieces of sea glass")),
        kinds=("white", "pink", "striped"),
        containers=(N("bucket"), N("jar"), N("pail")),
        gain=("find", "collect", "pick up"), loss=("throw back", "drop", "give away"),
        receivers=(N("sibling"), N("friend"), N("cousin")),
        rates=(Rate("find", N("seashell"), HOUR), Rate("build", N("sandcastle"), HOUR)),
    ),
    # Held out (TEST tier, for heldout_phrasing only).
    Frame(
        "crafts", "objects", heldout=TEST,
        items=(N("bead"), N("button"), N("ribbon"), N("feather"), N("sequin")),
        kinds=("silver", "purple", "round"),
        containers=(N("tin"), N("pouch"), N("drawer")),
        gain=("order", "collect", "find"), loss=("use up", "give away", "lose"),
        receivers=(N("sister"), N("classmate"), N("neighbor")),
        rates=(Rate("sew", N("button"), HOUR, gathers=False), Rate("string", N("bead"), MINUTE)),
        money=True,
    ),
    Frame(
        "pond", "objects", heldout=TEST,
        items=(N("goldfish", "goldfish"), N("snail"), N("frog"), N("tadpole"), N("water lily", "water lilies")),
        kinds=("orange", "spotted"),
        containers=(N("tank"), N("bowl"), N("tub")),
        gain=("catch", "buy", "get"), loss=("release", "give away", "sell"),
        receivers=(N("pond keeper"), N("neighbor"), N("friend")),
        rates=(Rate("catch", N("tadpole"), HOUR), Rate("feed", N("fish", "fish"), MINUTE, gathers=False)),
        money=True,
    ),
    Frame(
        "camping", "objects", heldout=TEST,
        items=(N("marshmallow"), N("flashlight"), N("tent peg"), N("log"), N("sleeping bag")),
        kinds=("large", "tiny"),
        containers=(N("backpack"), N("sack"), N("crate")),
        gain=("pack", "gather", "buy"), loss=("lose", "give away", "leave behind"),
        receivers=(N("camper"), N("scout"), N("hiker")),
        rates=(Rate("chop", N("log"), HOUR), Rate("hike", N("mile"), HOUR, gathers=False)),
        money=True,
    ),
)  # fmt: skip

# Training only: nouns swapped into objects frames now and then, so that the model treats the
# item, container and receiver as words to copy rather than parts of memorised templates
# (held-out frames bring nouns it never saw). None of them is a noun of a held-out frame.
EXTRA_ITEMS = tuple(N(w) for w in (
    "stamp", "coin", "cup", "plate", "spoon", "sock", "glove", "scarf", "brick", "block", "kite",
    "drum", "lamp", "vase", "rock", "acorn", "pinecone", "flower", "rose", "tulip", "daisy",
    "ticket", "badge", "medal", "trophy", "coupon", "envelope", "postcard", "mug", "towel",
    "pillow", "blanket", "chair", "shirt", "shoe", "boot", "belt", "necklace", "bracelet",
    "clock", "key", "battery", "bulb", "nail", "screw", "hammer", "comb", "mirror", "sponge",
    "pot", "pan", "kettle", "cherry", "grape", "plum", "mango", "kiwi", "lime", "onion", "bean",
    "nut", "pie", "donut", "waffle", "pretzel", "cracker", "candy", "lollipop", "puppy", "kitten",
    "hamster", "parrot", "turtle", "pony", "lamb", "bee", "ant", "ladybug", "butterfly", "owl",
    "bush", "sapling", "doll", "teddy bear", "puzzle", "domino", "paper clip", "rubber band",
    "folder", "ruler", "glue stick", "paintbrush", "toy boat", "toy train", "umbrella", "helmet",
)) + (N("leaf", "leaves"), N("calf", "calves"), N("photo", "photos"), N("piano", "pianos"))  # fmt: skip
EXTRA_CONTAINERS = tuple(N(w) for w in (
    "bin", "carton", "chest", "barrel", "trunk", "cupboard", "locker", "wagon", "suitcase",
    "cabinet", "envelope", "shoebox",
)) + (N("shelf", "shelves"),)  # fmt: skip
EXTRA_RECEIVERS = tuple(N(w) for w in (
    "kid", "visitor", "teacher", "coworker", "relative", "roommate", "helper", "volunteer",
    "nephew", "niece", "aunt", "uncle", "grandparent",
))  # fmt: skip
# Made-up nouns ("blick", "tramoons") are built from these syllables.
NONCE_ONSETS = ("b", "bl", "br", "d", "dr", "f", "fl", "g", "gl", "gr", "k", "kl", "m", "n",
                "p", "pl", "pr", "sk", "sl", "sn", "st", "t", "tr", "v", "w", "z")  # fmt: skip
NONCE_VOWELS = ("a", "e", "i", "o", "u", "oo", "ee", "ai", "oa")
NONCE_CODAS = ("", "b", "d", "g", "k", "m", "n", "p", "t", "x", "sk", "nd", "mp", "ck")

TRAVEL_MODES = (  # verb, -ing form, speed range per hour
    ("walk", "walking", 3, 6), ("run", "running", 6, 12), ("cycle", "cycling", 10, 25),
    ("drive", "driving", 30, 90), ("ride", "riding", 8, 20),
)  # fmt: skip
TRAVEL_UNITS = (N("km", "km"), N("kilometer"), N("mile"))
SAVING_PERIODS = (WEEK, N("month"))
SAVING_GOALS = ("a bike", "a video game", "a skateboard", "a guitar", "a tent", "a telescope",
                "a pair of shoes", "a tablet", "a camera", "a scooter")  # fmt: skip


# ------------------------------------------------------------------ facts (clauses)

FACTS: dict[str, tuple[Phrase, ...]] = {
    # objects: one person, one quantity
    "has": (
        T("has1", "{X} {v:have} {n:item}"),
        T("has2", "{X} {v:start} with {n:item}"),
        T("has3", "there {be:n} {n:item} in {Xposs} {container}"),
        D("has4", "{X} {v:keep} a stash of {n:item}"),
        T("has5", "{X} {v:have} a {container} with {n:item} in it"),
        D("has6", "{X} {v:count} {n:item} in {her} {container}"),
        H("has7", "{Xposs} collection {v:be} made up of {n:item}"),
        H("has8", "{X} {v:look} after {n:item}"),
        T("has9", "{X} {v:keep} {n:item} at home"),
        T("has10", "{X} {v:store} {n:item} in {her} room"),
        T("has11", "{Xposs} {container} {v:contain} {n:item}", since=2),
        T("has12", "{n:item} {be:n} sitting in {Xposs} {container}", since=2),
        T("has13", "{X} {v:possess} {n:item}", since=2),
        T("has14", "{X} {v:have} a pile of {n:item}", since=4),
        T("has15", "{X} {v:have} a set of {n:item}", since=4),
        T("has16", "{X} {v:keep} hold of {n:item}", since=4),
        T("has17", "{X} {v:own} a {container} of {n:item}", since=4),
        T("has18", "{X} {v:have} {n:item} on a shelf", since=4),
    ),
    "gain": (
        T("gain1", "{S} {v:gain} {n} more {item:n}"),
        T("gain2", "then {S} {v:gain} {n:item}"),
        T("gain3", "after that, {S} {v:gain} {n} more"),
        D("gain4", "later on {S} also {v:gain} {n:item}"),
        T("gain5", "{S} {v:gain} {n} additional {item:n}"),
        D("gain6", "next, {S} {v:gain} {n:item} on top of that"),
        H("gain7", "{S} {v:add} {n:item} to the pile"),
        T("gain8", "{S} {v:gain} another {n:item}"),
        T("gain9", "soon {S} {v:gain} {n:item} more"),
        T("gain10", "{S} {v:gain} {n:item} as well", since=2),
        T("gain11", "the next day {S} {v:gain} {n:item}", since=2),
        T("gain12", "in addition, {S} {v:gain} {n:item}", since=4),
        T("gain13", "{S} also {v:gain} {n} more", since=4),
        T("gain14", "after a while {S} {v:gain} {n:item}", since=4),
        T("gain15", "{S} {v:gain} an extra {n:item}", since=4),
        T("gain16", "{n} more {item:n} {vp:come} in when {S} {v:gain} them", since=4),
    ),
    "loss": (
        T("loss1", "{S} {v:loss} {n} of them"),
        T("loss2", "{S} {v:loss} {n:item}"),
        T("loss3", "then {S} {v:loss} {n}"),
        D("loss4", "a little later {S} {v:loss} {n} of the {items}"),
        T("loss5", "{S} {v:loss} {n} of {her} {items}"),
        D("loss6", "{S} {v:part} with {n} of them"),
        H("loss7", "{S} {v:get} rid of {n} of them"),
        H("loss8", "{S} {v:end} up without {n} of them"),
        T("loss9", "{S} {v:loss} {n} of the {items}"),
        T("loss10", "later, {S} {v:loss} {n:item}"),
        T("loss11", "{S} {v:loss} {n} of those", since=2),
        T("loss12", "{n} of the {items} {vp:go} missing", since=2),
        T("loss13", "the next day {S} {v:loss} {n} of them", since=2),
        T("loss14", "{S} {v:loss} {n} of {her} {items} to a friend", since=4),
        T("loss15", "afterwards {S} {v:loss} {n} of them", since=4),
        T("loss16", "{S} no longer {v:have} {n} of them because {S} {v:loss} them", since=4),
        T("loss17", "{n} of them {vp:be} gone after {S} {v:loss} them", since=4),
        T("loss18", "{S} {v:throw} away {n} of them", since=4),
        T("loss19", "{n} of the {items} {vp:break}", since=4),
    ),
    "two": (  # n, m >= 2
        T("two1", "{X} {v:have} {n} {kind1} {items} and {m} {kind2} {items}"),
        T(
            "two2",
            "in {Xposs} {container} there {be:n} {n} {kind1} {items} and {m} {kind2} {items}",
        ),
        T("two3", "{X} {v:have} {n} {items} that {vp:be} {kind1} and {m} that {vp:be} {kind2}"),
        D("two4", "{Xposs} {container} {v:hold} a mix of {n} {kind1} and {m} {kind2} {items}"),
        D("two5", "{n} of {Xposs} {items} {vp:be} {kind1} and the other {m} {vp:be} {kind2}"),
        H("two6", "among {Xposs} {items}, {n} {vp:be} {kind1} while {m} {vp:be} {kind2}"),
        T("two7", "{X} {v:have} {n} {kind1} {items}, plus {m} {kind2} ones"),
        T("two8", "{X} {v:have} two kinds of {items}: {n} {kind1} and {m} {kind2}", since=2),
        T("two9", "{X} {v:keep} {n} {kind1} {items} as well as {m} {kind2} {items}", since=2),
        T("two10", "{X} {v:have} {n} {kind1} {items} along with {m} {kind2} ones", since=4),
        T(
            "two11",
            "{n} {kind1} {items} and {m} {kind2} {items} {vp:be} in {Xposs} {container}",
            since=4,
        ),
        T("two12", "{X} {v:have} some {items}: {n} {vp:be} {kind1}, {m} {vp:be} {kind2}", since=4),
    ),
    "groups": (  # n containers with m items each
        T("grp1", "{X} {v:have} {n:container} with {m:item} in each"),
        T("grp2", "{X} {v:gain} {n:container} of {items}, and each {container} {v:hold} {m}"),
        T("grp3", "{X} {v:keep} {m:item} in each of {n} {containers}"),
        D("grp4", "{X} {v:fill} {n:container} and {v:put} {m:item} into every one"),
        T("grp5", "{X} {v:have} {n:container}, and there {vp:be} {m:item} in each one"),
        D("grp6", "{X} {v:line} up {n:container}, each holding {m:item}"),
        H("grp7", "{X} {v:set} out {n:container} holding {m:item} apiece"),
        T("grp8", "{X} {v:have} {n:container}; each {container} {v:contain} {m:item}"),
        T(
            "grp9",
            "there {be:n} {n:container} at {Xposs} place, with {m:item} per {container}",
            since=2,
        ),
        T("grp10", "{X} {v:pack} {n:container}, {m:item} in each {container}", since=2),
        T("grp11", "{X} {v:have} {n} full {containers}, {m:item} to each", since=4),
        T("grp12", "{X} {v:stack} {n:container}, and every {container} {v:have} {m:item}", since=4),
        T("grp13", "{n:container} {vp:stand} in {Xposs} room, each with {m:item}", since=4),
    ),
    "share": (  # among n receivers
        T("shr1", "{S} {v:share} them equally among {n:receiver}"),
        T("shr2", "{S} {v:divide} them equally between {n:receiver}"),
        T("shr3", "{S} {v:give} them all to {n:receiver}, the same number to each"),
        D("shr4", "{S} {v:split} them evenly among {n:receiver}"),
        T("shr5", "{S} {v:hand} them out equally to {n:receiver}"),
        D("shr6", "{n:receiver} {vp:get} an equal share of them"),
        H("shr7", "{S} {v:distribute} them fairly among {n:receiver}"),
        T("shr8", "{S} {v:give} each of {n:receiver} an equal number of them"),
        T("shr9", "{n:receiver} each {vp:receive} the same number of them", since=2),
        T("shr10", "{S} {v:deal} them out to {n:receiver} so that each {v:get} the same", since=2),
        T("shr11", "{S} {v:pass} them out evenly to {n:receiver}", since=4),
        T("shr12", "{S} {v:share} them out between {n:receiver} in equal amounts", since=4),
    ),
    "pack": (  # n per container
        T("pack1", "{S} {v:put} them into {containers} with {n:item} in each"),
        T("pack2", "{S} {v:pack} them in {containers} of {n}"),
        T("pack3", "{S} {v:put} {n:item} in each {container}"),
        D("pack4", "{S} {v:arrange} them so that every {container} {v:get} exactly {n}"),
        T("pack5", "{S} {v:sort} them into {containers} of {n} each"),
        D("pack6", "{S} {v:bundle} them in groups of {n}, one group per {container}"),
        H("pack7", "{S} {v:load} them into {containers}, {n} to a {container}"),
        T("pack8", "{S} {v:place} {n:item} in every {container}"),
        T("pack9", "{S} {v:fill} {containers} with {n} each", since=2),
        T("pack10", "{S} {v:group} them {n} per {container}", since=2),
        T("pack11", "{S} {v:pack} {n} into every {container}", since=4),
        T("pack12", "{S} {v:put} them away, {n:item} per {container}", since=4),
    ),
    "need": (
        T("need1", "{X} {v:need} {n:item}"),
        T("need2", "{X} {v:want} to have {n:item}"),
        D("need3", "{X} {v:hope} to collect {n:item}"),
        H("need4", "{Xposs} target {v:be} {n:item}"),
        T("need5", "{X} {v:need} a total of {n:item}"),
        T("need6", "{X} {v:aim} to get {n:item}", since=2),
        T("need7", "{X} {v:require} {n:item} in all", since=2),
        T("need8", "{X} {v:plan} to have {n:item}", since=4),
        T("need9", "{X} {v:wish} to own {n:item}", since=4),
        T("need10", "{X} {v:need} {n:item} for a project", since=4),
    ),
    "already": (
        T("alr1", "{S} already {v:have} {n}"),
        T("alr2", "so far {S} {v:have} {n:item}"),
        T("alr3", "{S} {v:have} {n} of them already"),
        D("alr4", "{S} currently {v:have} {n}"),
        H("alr5", "at the moment {S} {v:hold} {n}"),
        T("alr6", "{S} {v:have} {n} right now"),
        T("alr7", "{S} {v:have} {n} of them by now", since=2),
        T("alr8", "up to now {S} {v:have} {n:item}", since=2),
        T("alr9", "{S} {v:have} {n} of them so far", since=4),
        T("alr10", "{S} {v:possess} {n} of them already", since=4),
    ),
    "stock": (  # items owned before a rate plan
        T("stk1", "{X} already {v:have} {n:item}"),
        T("stk2", "{X} {v:begin} with {n:item}"),
        D("stk3", "{X} {v:have} {n:item} left over from earlier"),
        H("stk4", "{X} {v:kick} off with {n:item} on hand"),
        T("stk5", "{X} {v:have} {n:item} to start with"),
        T("stk6", "before that, {X} {v:have} {n:item}", since=2),
        T("stk7", "{X} {v:have} {n:item} saved from before", since=2),
        T("stk8", "at the start {X} {v:have} {n:item}", since=4),
        T("stk9", "{X} {v:have} {n:item} from last time", since=4),
    ),
    # objects: a second person
    "has_y": (
        T("hy1", "{Y} {v:have} {n:item}"),
        T("hy2", "{Y} {v:have} {n}"),
        T("hy3", "{Y}'s {container} {v:hold} {n:item}"),
        D("hy4", "{Y} {v:own} {n:item}"),
        H("hy5", "{Y} {v:carry} {n:item}"),
        T("hy6", "{Y} {v:keep} {n:item}"),
        T("hy7", "{Y} {v:possess} {n:item}", since=2),
        T("hy8", "{n:item} {be:n} in {Y}'s {container}", since=2),
        T("hy9", "{Y} {v:have} a {container} of {n:item}", since=4),
        T("hy10", "{Y} {v:keep} hold of {n:item}", since=4),
    ),
    "more_y": (
        T("mry1", "{Y} {v:have} {n} more {item:n} than {X}"),
        T("mry2", "{Y} {v:have} {n:item} more than {X}"),
        T("mry4", "{Y} {v:have} {n} {item:n} more than {X} {v:do}"),
        D("mry3", "{Y}'s pile {v:be} {n} {item:n} bigger than {X}'s"),
        H("mry5", "{Y} {v:hold} {n} {item:n} beyond what {X} {v:have}"),
        T("mry6", "compared with {X}, {Y} {v:have} {n} more {item:n}"),
        T("mry7", "{X} {v:have} {n} fewer {item:n} than {Y}", since=2),
        T("mry8", "{X} {v:have} {n} {item:n} less than {Y}", since=2),
        T("mry9", "{Y} {v:have} {n} {item:n} more than {X} {v:have}", since=4),
        T("mry10", "{Y} {v:possess} {n} more {item:n} than {X}", since=4),
        T("mry11", "{Y} {v:have} as many {items} as {X} plus {n} more", since=4),
    ),
    "fewer_y": (
        T("fwy1", "{Y} {v:have} {n} fewer {item:n} than {X}"),
        T("fwy2", "{Y} {v:have} {n:item} fewer than {X}"),
        T("fwy3", "{Y} {v:have} {n} less {item:n} than {X}"),
        T("fwy5", "{Y} {v:have} {n} {item:n} fewer than {X} {v:do}"),
        D("fwy4", "{Y}'s pile {v:be} {n} {item:n} smaller than {X}'s"),
        H("fwy6", "{Y} {v:be} {n} {item:n} short of {X}"),
        T("fwy7", "compared with {X}, {Y} {v:have} {n} fewer {item:n}"),
        T("fwy8", "{X} {v:have} {n} more {item:n} than {Y}", since=2),
        T("fwy9", "{Y} {v:be} {n} {item:n} behind {X}", since=2),
        T("fwy10", "{Y} {v:possess} {n} fewer {item:n} than {X}", since=4),
        T("fwy11", "{Y} {v:have} {n} {item:n} less than {X} {v:have}", since=4),
        T("fwy12", "{Y} {v:have} as many {items} as {X} minus {n}", since=4),
    ),
    "times_y": (
        T("tmy1", "{Y} {v:have} {n} times as many {items} as {X}"),
        T("tmy2", "{Y} {v:have} {n} times the number of {items} that {X} {v:have}"),
        D("tmy3", "{Y}'s pile {v:be} {n} times the size of {X}'s"),
        H("tmy4", "for every {item} {X} {v:have}, {Y} {v:have} {n}"),
        T("tmy5", "{Y} {v:have} {n} times more {items} than {X}"),
        T("tmy6", "{Y} {v:have} {n} times as many as {X} {v:do}", since=2),
        T("tmy7", "{Y} {v:have} {n} times what {X} {v:have}", since=2),
        T("tmy8", "{Y} {v:possess} {n} times as many {items} as {X}", since=4),
        T("tmy9", "{Y}'s {items} {vp:number} {n} times {Xposs}", since=4),
        T("tmy10", "{Y} {v:have} {n} times {Xposs} number of {items}", since=4),
    ),
    # objects: rates
    "rate": (
        T("rate1", "{X} {v:make} {n:item} every {period}"),
        T("rate2", "every {period}, {X} {v:make} {n:item}"),
        T("rate3", "{X} {v:make} {n:item} each {period}"),
        D("rate4", "in a typical {period} {X} {v:make} {n:item}"),
        T("rate5", "{X} {v:make} {n:item} per {period}"),
        H("rate6", "{Xposs} pace {v:be} {n:item} a {period}"),
        T("rate7", "{X} {v:make} {n:item} in one {period}"),
        T("rate8", "{X} {v:make} {n:item} a {period}", since=2),
        T("rate9", "{X} {v:be} able to {make} {n:item} every {period}", since=2),
        T("rate10", "{X} {v:make} {n:item} in a single {period}", since=4),
        T("rate11", "each and every {period}, {X} {v:make} {n:item}", since=4),
    ),
    "duration": (
        T("dur1", "{S} {v:do} this for {n:period}"),
        T("dur2", "{S} {v:keep} this up for {n:period}"),
        T("dur3", "this {v:go} on for {n:period}"),
        D("dur4", "{S} {v:stick} with it for {n:period}"),
        H("dur5", "{S} {v:continue} like that for {n:period}"),
        T("dur6", "{S} {v:work} like this for {n:period}"),
        T("dur7", "{S} {v:keep} going for {n:period}", since=2),
        T("dur8", "{S} {v:do} the same for {n:period}", since=2),
        T("dur9", "{S} {v:carry} on for {n:period}", since=4),
        T("dur10", "{S} {v:repeat} this for {n:period}", since=4),
    ),
    "rate_for": (  # n per period for m periods
        T("rfor1", "{X} {v:make} {n:item} each {period} for {m:period}"),
        T("rfor2", "for {m:period}, {X} {v:make} {n:item} every {period}"),
        D("rfor3", "during {m:period} {X} {v:make} {n:item} per {period}"),
        H("rfor4", "across {m:period}, {X} {v:make} {n:item} a {period}"),
        T("rfor5", "{X} {v:make} {n:item} each {period}, {m:period} in a row"),
        T("rfor6", "over {m:period}, {X} {v:make} {n:item} each {period}", since=2),
        T("rfor7", "for {m:period} straight, {X} {v:make} {n:item} per {period}", since=2),
        T("rfor8", "{X} {v:spend} {m:period} and {v:make} {n:item} each {period}", since=4),
    ),
    "rate_then": (  # m >= 2
        T("rthen1", "then {S} {v:make} {n:item} each {period} for {m:period}"),
        T("rthen2", "after that, {S} {v:make} {n:item} every {period} for another {m:period}"),
        D("rthen3", "in the following {m:period} {S} {v:make} {n:item} per {period}"),
        H("rthen4", "for the next {m:period} the pace {v:change} to {n:item} a {period}"),
        T("rthen5", "later {S} {v:make} {n:item} each {period} for {m:period}"),
        T("rthen6", "for {m:period} after that, {S} {v:make} {n:item} a {period}", since=2),
        T("rthen7", "next {S} {v:make} {n:item} each {period} for {m:period}", since=2),
        T("rthen8", "afterwards {S} {v:make} {n:item} per {period} for {m:period}", since=4),
    ),
    # objects: money
    "price": (
        T("prc1", "each {item} {v:cost} {$n}"),
        T("prc2", "{items} {vp:cost} {$n} each"),
        T("prc3", "one {item} {v:cost} {$n}"),
        D("prc4", "the price of a single {item} {v:be} {$n}"),
        T("prc5", "{items} {vp:sell} for {$n} each"),
        D("prc6", "a single {item} {v:go} for {$n}"),
        H("prc7", "{items} {vp:be} priced at {$n} apiece"),
        T("prc8", "a {item} {v:cost} {$n}"),
        T("prc9", "the cost of one {item} {v:be} {$n}", since=2),
        T("prc10", "{items} {vp:be} {$n} each", since=2),
        T("prc11", "the price for each {item} {v:be} {$n}", since=4),
        T("prc12", "{items} {vp:go} for {$n} each", since=4),
    ),
    "buy": (
        T("buy1", "{X} {v:buy} {n:item}"),
        T("buy2", "{X} {v:go} to the shop and {v:buy} {n:item}"),
        D("buy3", "{X} {v:shop} for {n:item}"),
        T("buy4", "{X} {v:get} {n:item} at the store"),
        D("buy5", "{X} {v:purchase} {n:item}"),
        H("buy6", "{X} {v:pick} out {n:item} to take home"),
        T("buy7", "{X} {v:order} {n:item}"),
        T("buy8", "{X} {v:pay} for {n:item}", since=2),
        T("buy9", "{X} {v:choose} {n:item} at the shop", since=2),
        T("buy10", "{X} {v:buy} {n:item} from the store", since=4),
        T("buy11", "{X} {v:get} {n:item} from the shop", since=4),
    ),
    "paid": (  # n items for m dollars, n >= 2
        T("paid1", "{X} {v:pay} {$m} for {n:item}"),
        T("paid2", "{X} {v:buy} {n:item} for {$m} in total"),
        T("paid3", "{n:item} {vp:cost} {X} {$m} altogether"),
        D("paid4", "{X} {v:spend} {$m} on {n:item}, all at the same price"),
        H("paid5", "{n:item} {vp:set} {X} back {$m}"),
        T("paid6", "{X} {v:pay} a total of {$m} for {n:item}"),
        T("paid7", "for {n:item}, {X} {v:pay} {$m}", since=2),
        T("paid8", "the bill for {Xposs} {n:item} {v:be} {$m}", since=2),
        T("paid9", "{X} {v:spend} a total of {$m} on {n:item}", since=4),
    ),
    "wallet": (
        T("wal1", "{X} {v:have} {$n}"),
        T("wal2", "{X} {v:have} {$n} in {her} wallet"),
        T("wal3", "{X} {v:go} to the shop with {$n}"),
        D("wal4", "{X} {v:bring} {$n} along"),
        H("wal5", "{X} {v:carry} {$n} in {her} pocket"),
        T("wal6", "{X} {v:start} the day with {$n}"),
        T("wal7", "{X} {v:have} {$n} to spend", since=2),
        T("wal8", "there {be:n} {$n} in {Xposs} purse", since=2),
        T("wal9", "{X} {v:keep} {$n} in {her} bag", since=4),
    ),
    "spend": (
        T("spd1", "{S} {v:spend} {$n} on {items}"),
        T("spd2", "{S} {v:buy} some {items} for {$n}"),
        D("spd3", "{S} {v:use} {$n} of it to pay for {items}"),
        T("spd4", "{S} {v:pay} {$n} for some {items}"),
        H("spd5", "{S} {v:drop} {$n} on {items}"),
        T("spd6", "{S} {v:spend} {$n} buying {items}"),
        T("spd7", "{S} {v:pay} out {$n} for {items}", since=2),
        T("spd8", "some {items} {vp:cost} {obj} {$n}", since=2),
        T("spd9", "{S} {v:use} {$n} to buy {items}", since=4),
    ),
    "buy_at": (  # n items at m dollars each, n >= 2
        T("bat1", "{S} {v:buy} {n:item} at {$m} each"),
        T("bat2", "{S} {v:buy} {n:item} that {vp:cost} {$m} each"),
        T("bat3", "{S} {v:buy} {n:item} for {$m} each"),
        D("bat4", "{S} {v:pick} up {n:item} priced at {$m} each"),
        H("bat5", "{S} {v:grab} {n:item}, {$m} apiece"),
        T("bat6", "{S} {v:buy} {n:item} costing {$m} each"),
        T("bat7", "{S} {v:buy} {n:item}, each costing {$m}", since=2),
        T("bat8", "{S} {v:get} {n:item} at a price of {$m} each", since=2),
        T("bat9", "{S} {v:buy} {n:item}, paying {$m} for each", since=4),
    ),
    # travel: speeds in {units} per hour
    "speed_time": (  # n per hour for m hours
        T("spt1", "{X} {v:travel} at {n} {units} per hour for {m:hour}"),
        T("spt2", "for {m:hour}, {X} {v:travel} at {n} {units} per hour"),
        T("spt3", "{X} {v:travel} for {m:hour} at a speed of {n} {units} per hour"),
        D("spt4", "{X} {v:spend} {m:hour} {traveling} at {n} {units} per hour"),
        H("spt5", "{X} {v:keep} up {n} {units} per hour for {m:hour}"),
        T("spt6", "{X} {v:travel} {m:hour} at {n} {units} per hour"),
        T("spt7", "at {n} {units} per hour, {X} {v:travel} for {m:hour}", since=2),
        T("spt8", "{X} {v:travel} for {m:hour}, going {n} {units} per hour", since=4),
    ),
    "speed": (
        T("spe1", "{X} {v:travel} at {n} {units} per hour"),
        T("spe2", "{Xposs} speed {v:be} {n} {units} per hour"),
        T("spe3", "{X} {v:travel} {n} {units} every hour"),
        D("spe4", "{X} {v:cover} {n} {units} in one hour"),
        H("spe5", "{X} {v:go} {n} {units} in each hour"),
        T("spe6", "{X} {v:travel} at a speed of {n} {units} per hour"),
        T("spe7", "{X} {v:average} {n} {units} per hour", since=2),
        T("spe8", "{X} {v:move} at {n} {units} per hour", since=4),
    ),
    "leg2": (
        T("leg1", "then {S} {v:travel} at {n} {units} per hour for {m:hour}"),
        T("leg2", "after that, {S} {v:travel} for {m:hour} at {n} {units} per hour"),
        D("leg3", "for the last part {S} {v:switch} to {n} {units} per hour for {m:hour}"),
        H("leg4", "{S} then {v:do} {n} {units} per hour for {m:hour}"),
        T("leg5", "next, {S} {v:travel} for {m:hour} at {n} {units} per hour"),
        T("leg6", "later {S} {v:travel} at {n} {units} per hour for {m:hour}", since=2),
        T("leg7", "afterwards {S} {v:travel} at {n} {units} per hour for {m:hour}", since=4),
    ),
    "trip": (
        T("trip1", "{X} {v:need} to {travel} {n:unit}"),
        T("trip2", "{Xposs} trip {v:be} {n:unit} long"),
        T("trip3", "{X} {v:plan} a trip of {n:unit}"),
        D("trip4", "{Xposs} destination {v:be} {n:unit} away"),
        H("trip5", "{X} {v:have} a journey of {n:unit} ahead"),
        T("trip6", "{X} {v:want} to {travel} a distance of {n:unit}"),
        T("trip7", "{Xposs} route {v:be} {n:unit} in total", since=2),
        T("trip8", "{X} {v:have} to {travel} {n:unit}", since=4),
    ),
    "covered": (  # n units in m hours
        T("cov1", "{X} {v:travel} {n:unit} in {m:hour}"),
        T("cov2", "it {v:take} {X} {m:hour} to {travel} {n:unit}"),
        D("cov3", "in {m:hour} {X} {v:manage} {n:unit}"),
        H("cov4", "{X} {v:complete} {n:unit} over {m:hour}"),
        T("cov5", "{X} {v:travel} a distance of {n:unit} in {m:hour}"),
        T("cov6", "{X} {v:travel} {n:unit}, which {v:take} {m:hour}", since=2),
        T("cov7", "{X} {v:need} {m:hour} to {travel} {n:unit}", since=4),
    ),
    # savings
    "save_rate": (
        T("svr1", "{X} {v:save} {$n} every {period}"),
        T("svr2", "each {period}, {X} {v:put} {$n} into {her} piggy bank"),
        T("svr3", "{X} {v:put} aside {$n} a {period}"),
        D("svr4", "{X} {v:earn} {$n} per {period} from chores and {v:keep} all of it"),
        H("svr5", "{X} {v:set} {$n} aside each {period}"),
        T("svr6", "{X} {v:save} {$n} each {period}"),
        T("svr7", "every {period} {X} {v:add} {$n} to {her} savings", since=2),
        T("svr8", "{X} {v:keep} {$n} every {period} for savings", since=4),
    ),
    "save_for": (
        T("svf1", "{S} {v:do} this for {n:period}"),
        T("svf2", "{S} {v:save} like this for {n:period}"),
        D("svf3", "{S} {v:keep} saving for {n:period}"),
        H("svf4", "{S} {v:continue} that for {n:period}"),
        T("svf5", "{S} {v:save} for {n:period} in a row"),
        T("svf6", "{S} {v:keep} it up for {n:period}", since=2),
        T("svf7", "{S} {v:go} on saving for {n:period}", since=4),
    ),
    "goal": (
        T("goal1", "{X} {v:want} to buy {thing} that {v:cost} {$n}"),
        T("goal2", "{X} {v:be} saving up for {thing} costing {$n}"),
        D("goal3", "{X} {v:dream} of owning {thing} priced at {$n}"),
        H("goal4", "{X} {v:have} {her} eye on {thing} that {v:sell} for {$n}"),
        T("goal5", "{X} {v:want} {thing} that {v:cost} {$n}"),
        T("goal6", "{thing} {v:cost} {$n}, and {X} {v:want} it", since=2),
        T("goal7", "{X} {v:hope} to buy {thing} for {$n}", since=4),
    ),
    "saved": (
        T("svd1", "{S} already {v:have} {$n} saved"),
        T("svd2", "{S} {v:have} {$n} in {her} piggy bank already"),
        D("svd3", "{S} {v:start} off with {$n}"),
        H("svd4", "{S} {v:have} {$n} tucked away already"),
        T("svd5", "{S} {v:have} {$n} already"),
        T("svd6", "{S} {v:have} already saved {$n}", since=2),
        T("svd7", "so far {S} {v:have} saved {$n}", since=4),
    ),
    "gift": (
        T("gift1", "{S} {v:get} {$n} from {her} grandmother"),
        T("gift2", "{Xposs} uncle {v:give} {obj} {$n}"),
        D("gift3", "for {her} birthday {S} {v:receive} another {$n}"),
        H("gift4", "{S} {v:be} given {$n} by a neighbor"),
        T("gift5", "{S} {v:receive} {$n} as a gift"),
        T("gift6", "{Xposs} aunt {v:send} {obj} {$n}", since=2),
        T("gift7", "{Xposs} grandfather {v:give} {obj} {$n} as a present", since=4),
    ),
}


# ------------------------------------------------------------------ questions


@dataclass(frozen=True)
class Core:
    """What is asked, in the three shapes a wrapper may need.

    direct: after the wh-phrase, inverted ("does Maya have left");
    embedded: after "find how many apples" ("Maya has left");
    relative: after a noun phrase ("the number of apples" + "that are left").
    """

    id: str
    direct: str
    embedded: str
    relative: str = ""  # defaults to embedded
    heldout: str = TRAIN
    since: int = 1  # the wording version that added it
    until: int | None = None  # the last wording version that has it; None: every later one


def C(
    id: str,
    direct: str,
    embedded: str,
    relative: str = "",
    since: int = 1,
    until: int | None = None,
) -> Core:
    return Core(id, direct, embedded, relative or embedded, since=since, until=until)


def CD(id: str, direct: str, embedded: str, relative: str = "") -> Core:
    return Core(id, direct, embedded, relative or embedded, heldout=DEV)


def CH(id: str, direct: str, embedded: str, relative: str = "") -> Core:
    return Core(id, direct, embedded, relative or embedded, heldout=TEST)


COUNT_WH = (("how many {items}", "the number of {items}"),)
MONEY_WH = (
    ("how much money", "the amount of money"),
    ("how many dollars", "the number of dollars"),
)

_NOW = (
    C("now1", "{v:do} {Xq} have {now}", "{Xq} {v:have} {now}"),
    C("now2", "{v:do} {Xq} have in the end", "{Xq} {v:have} in the end"),
    C("now3", "{v:do} {Xq} end up with", "{Xq} {v:end} up with"),
    CD("now4", "{v:do} {Xq} have at this point", "{Xq} {v:have} at this point"),
    CH("now5", "{v:do} {Xq} hold {now}", "{Xq} {v:hold} {now}"),
    C("now6", "{v:do} {Xq} have after all that", "{Xq} {v:have} after all that"),
    C("now7", "{v:do} {Xq} have after that", "{Xq} {v:have} after that", since=2),
    C("now8", "{v:do} {Xq} have by the end", "{Xq} {v:have} by the end", since=4),
    C("now9", "{v:do} {Xq} own {now}", "{Xq} {v:own} {now}", since=4),
)
_LEFT = (
    C("left1", "{v:do} {Xq} have left", "{Xq} {v:have} left"),
    C("left2", "{vp:be} left", "{vp:be} left", "that {vp:be} left"),
    C("left3", "{vp:remain}", "{vp:remain}", "that {vp:remain}"),
    CD("left4", "{v:do} {Xq} still have", "{Xq} still {v:have}"),
    CH("left5", "{v:do} {Xq} hang on to", "{Xq} {v:hang} on to"),
    C("left6", "{v:do} {Xq} keep", "{Xq} {v:keep}"),
    C("left7", "{vp:be} still there", "{vp:be} still there", "that {vp:be} still there", since=2),
    C("left8", "{vp:be} left over", "{vp:be} left over", "that {vp:be} left over", since=4),
    C("left9", "{v:do} {Xq} have left over", "{Xq} {v:have} left over", since=4),
)

# kind -> (wh-phrases with their noun phrase or None, cores)
ASKS: dict[str, tuple[tuple[tuple[str, str | None], ...], tuple[Core, ...]]] = {
    "now": (COUNT_WH, _NOW),
    "left": (COUNT_WH, _LEFT),
    "total_one": (COUNT_WH, (
        C("tot1", "{v:do} {Xq} have in total", "{Xq} {v:have} in total"),
        C("tot2", "{v:do} {Xq} have altogether", "{Xq} {v:have} altogether"),
        C("tot3", "{vp:be} there in all", "there {vp:be} in all"),
        CD("tot4", "{vp:be} there counting all of them", "there {vp:be} counting all of them"),
        CH("tot5", "{v:do} {Xq} have all told", "{Xq} {v:have} all told"),
        C("tot6", "{vp:be} there altogether", "there {vp:be} altogether"),
        C("tot7", "{vp:be} there in total", "there {vp:be} in total", since=2),
        C("tot8", "{v:do} {Xq} have overall", "{Xq} {v:have} overall", since=4),
        C("tot9", "{vp:be} there when you add them up", "there {vp:be} when you add them up", since=4),
    )),
    "total_two": (COUNT_WH, (
        C("tt1", "{vp:do} {Xq} and {Yq} have together", "{Xq} and {Yq} {vp:have} together"),
        C("tt2", "{vp:do} they have altogether", "they {vp:have} altogether"),
        C("tt3", "{vp:do} {Xq} and {Yq} have in total", "{Xq} and {Yq} {vp:have} in total"),
        CD("tt4", "{vp:do} the two of them have combined", "the two of them {vp:have} combined"),
        CH("tt5", "{vp:do} {Xq} and {Yq} have between them", "{Xq} and {Yq} {vp:have} between them"),
        C("tt6", "{vp:do} both of them have", "both of them {vp:have}"),
        C("tt7", "{vp:do} the two have in all", "the two {vp:have} in all", since=2),
        C("tt8", "{vp:do} {Xq} and {Yq} own together", "{Xq} and {Yq} {vp:own} together", since=4),
        C("tt9", "{vp:do} the pair of them have", "the pair of them {vp:have}", since=4),
    )),
    "each": (COUNT_WH, (
        C("each1", "{v:do} each {receiver} get", "each {receiver} {v:get}"),
        C("each2", "{v:do} every {receiver} receive", "every {receiver} {v:receive}"),
        CD("each3", "{vp:go} to each {receiver}", "{vp:go} to each {receiver}",
           "that {vp:go} to each {receiver}"),
        CH("each4", "{v:do} a single {receiver} end up with", "a single {receiver} {v:end} up with"),
        C("each5", "{vp:be} in each share", "{vp:be} in each share", "that {vp:be} in each share"),
        C("each6", "{v:do} one {receiver} get", "one {receiver} {v:get}", since=2),
        C("each7", "{v:do} each {receiver} take home", "each {receiver} {v:take} home", since=4),
    )),
    "containers": ((("how many {containers}", "the number of {containers}"),), (
        C("cont1", "{v:do} {Xq} fill", "{Xq} {v:fill}"),
        C("cont2", "{v:do} {Xq} need", "{Xq} {v:need}"),
        CD("cont3", "{v:do} {Xq} end up using", "{Xq} {v:end} up using"),
        CH("cont4", "{vp:be} needed", "{vp:be} needed", "that {vp:be} needed"),
        C("cont5", "{v:do} {Xq} use", "{Xq} {v:use}"),
        C("cont6", "{vp:be} filled", "{vp:be} filled", "that {vp:be} filled", since=2),
        C("cont7", "{v:do} {Xq} pack", "{Xq} {v:pack}", since=4),
    )),
    "more_than": ((("how many more {items}", None), ("how many {items} more", None)), (
        C("mt1", "{v:do} {Xq} have than {Yq}", "{Xq} {v:have} than {Yq}"),
        C("mt4", "{v:do} {Xq} have than {Yq} {v:do}", "{Xq} {v:have} than {Yq} {v:do}", since=2),
        C("mt5", "{v:do} {Xq} have compared with {Yq}", "{Xq} {v:have} compared with {Yq}", since=4),
        CD("mt2", "{v:do} {Xq} own compared to {Yq}", "{Xq} {v:own} compared to {Yq}"),
        CH("mt3", "{v:do} {Xq} have over {Yq}", "{Xq} {v:have} over {Yq}"),
    )),
    "other": (COUNT_WH, (
        C("oth1", "{v:do} {Yq} have", "{Yq} {v:have}"),
        CD("oth2", "{vp:belong} to {Yq}", "{vp:belong} to {Yq}", "that {vp:belong} to {Yq}"),
        CH("oth3", "{v:do} {Yq} hold", "{Yq} {v:hold}"),
        C("oth4", "{v:do} {Yq} keep", "{Yq} {v:keep}"),
        C("oth5", "{v:do} {Yq} end up with", "{Yq} {v:end} up with", since=2),
        C("oth6", "{v:do} {Yq} own", "{Yq} {v:own}", since=4),
    )),
    "need_more": ((("how many more {items}", None),), (
        C("nm1", "{v:do} {Xq} need", "{Xq} {v:need}"),
        C("nm2", "{v:do} {Xq} still need", "{Xq} still {v:need}"),
        CD("nm3", "{v:do} {Xq} have to get", "{Xq} {v:have} to get"),
        CH("nm4", "{vp:be} still missing", "{vp:be} still missing", "that {vp:be} still missing"),
        C("nm5", "{v:do} {Xq} still want", "{Xq} still {v:want}"),
        C("nm6", "{v:do} {Xq} still lack", "{Xq} still {v:lack}", since=2),
        C("nm7", "{v:do} {Xq} have yet to find", "{Xq} {v:have} yet to find", since=4),
    )),
    "made": (COUNT_WH, (
        C("made1", "{v:do} {Xq} {make} in total", "{Xq} {v:make} in total"),
        C("made2", "{v:do} {Xq} {make} altogether", "{Xq} {v:make} altogether"),
        CD("made3", "{v:do} {Xq} {make} over the whole time", "{Xq} {v:make} over the whole time"),
        CH("made4", "{v:do} {Xq} {make} from start to finish", "{Xq} {v:make} from start to finish"),
        C("made5", "{v:do} {Xq} {make} during that time", "{Xq} {v:make} during that time"),
        C("made6", "{v:do} {Xq} {make} in all", "{Xq} {v:make} in all", since=2),
        C("made7", "{v:do} {Xq} {make} overall", "{Xq} {v:make} overall", since=4),
    )),
    "stock_now": (COUNT_WH, _NOW),
    "spend": ((*MONEY_WH, ("how much", None)), (
        C("pay1", "{v:do} {Xq} spend", "{Xq} {v:spend}"),
        C("pay2", "{v:do} {Xq} pay", "{Xq} {v:pay}"),
        C("pay3", "{v:do} {Xq} pay in total", "{Xq} {v:pay} in total"),
        CD("pay4", "{v:do} {Xq} have to hand over", "{Xq} {v:have} to hand over"),
        CH("pay5", "{v:do} {Xq} shell out", "{Xq} {v:shell} out"),
        C("pay6", "{v:do} {Xq} spend altogether", "{Xq} {v:spend} altogether"),
        C("pay7", "{v:do} the shopping cost {Xq}", "the shopping {v:cost} {Xq}", since=2, until=3),
        C("pay9", "{v:do} the shopping cost {Xqo}", "the shopping {v:cost} {Xqo}", since=4),
        C("pay8", "{v:do} {Xq} pay altogether", "{Xq} {v:pay} altogether", since=4),
    )),
    "price": ((("how much", None), ("how many dollars", None)), (
        C("prq1", "{v:do} one {item} cost", "one {item} {v:cost}"),
        C("prq2", "{v:do} each {item} cost", "each {item} {v:cost}"),
        CD("prq3", "{v:be} a single {item}", "a single {item} {v:be}"),
        CH("prq4", "{v:do} a {item} sell for", "a {item} {v:sell} for"),
        C("prq5", "{v:be} the price of one {item}", "the price of one {item} {v:be}"),
        C("prq6", "{v:do} {Xq} pay for one {item}", "{Xq} {v:pay} for one {item}", since=2),
    )),
    "money_left": ((*MONEY_WH, ("how much", None)), (
        C("ml1", "{v:do} {Xq} have left", "{Xq} {v:have} left"),
        C("ml2", "{v:do} {Xq} have {now}", "{Xq} {v:have} {now}"),
        CD("ml3", "{v:do} {Xq} still have", "{Xq} still {v:have}"),
        CH("ml4", "{v:do} {Xq} walk away with", "{Xq} {v:walk} away with"),
        C("ml5", "{v:do} {Xq} have after shopping", "{Xq} {v:have} after shopping"),
        C("ml6", "{v:do} {Xq} have at the end", "{Xq} {v:have} at the end", since=2),
        C("ml7", "{v:do} {Xq} have left over", "{Xq} {v:have} left over", since=4),
    )),
    "money_now": (MONEY_WH, _NOW),
    "distance": ((("how far", "the distance"), ("how many {units}", "the number of {units}")), (
        C("dist1", "{v:do} {Xq} {travel} in total", "{Xq} {v:travel} in total"),
        C("dist2", "{v:do} {Xq} go", "{Xq} {v:go}"),
        CD("dist3", "{v:do} {Xq} manage to {travel}", "{Xq} {v:manage} to {travel}"),
        CH("dist4", "{v:do} {Xq} cover overall", "{Xq} {v:cover} overall"),
        C("dist5", "{v:do} {Xq} {travel} altogether", "{Xq} {v:travel} altogether"),
        C("dist6", "{v:do} {Xq} {travel} in all", "{Xq} {v:travel} in all", since=2),
        C("dist7", "{v:do} {Xq} {travel} overall", "{Xq} {v:travel} overall", since=4),
    )),
    "distance_left": ((("how far", None), ("how many more {units}", None)), (
        C("dl1", "{v:do} {Xq} have yet to {travel}", "{Xq} {v:have} yet to {travel}"),
        C("dl2", "{v:do} {Xq} have left to {travel}", "{Xq} {v:have} left to {travel}"),
        CD("dl3", "{v:do} {Xq} still need to cover", "{Xq} still {v:need} to cover"),
        CH("dl4", "{v:do} {Xq} have remaining", "{Xq} {v:have} remaining"),
    )),
    "hours": ((("how many hours", "the number of hours"), ("how long", None)), (
        C("hrs1", "{v:do} the trip take", "the trip {v:take}"),
        C("hrs2", "{v:do} it take {Xq}", "it {v:take} {Xq}", until=2),  # "take she": hrs7
        CD("hrs3", "{v:do} {Xq} spend on the road", "{Xq} {v:spend} on the road"),
        CH("hrs4", "{v:be} {Xq} on the move", "{Xq} {v:be} on the move"),
        C("hrs5", "{v:do} {Xq} need for the trip", "{Xq} {v:need} for the trip"),
        C("hrs6", "{v:do} {Xq} {travel} for", "{Xq} {v:travel} for", since=2),
        C("hrs7", "{v:do} it take {Xqo}", "it {v:take} {Xqo}", since=3),
    )),
    "speed": ((("how fast", None), ("how many {units} per hour", None)), (
        C("sp1", "{v:do} {Xq} {travel}", "{Xq} {v:travel}"),
        C("sp2", "{v:do} {Xq} go", "{Xq} {v:go}"),
        CD("sp3", "{v:do} {Xq} move along", "{Xq} {v:move} along"),
        CH("sp4", "{v:be} {Xq} going", "{Xq} {v:be} going"),
    )),
    "saved": (MONEY_WH, (
        C("sav1", "{v:do} {Xq} save in total", "{Xq} {v:save} in total"),
        C("sav2", "{v:do} {Xq} have saved", "{Xq} {v:have} saved"),
        CD("sav3", "{v:do} {Xq} put aside altogether", "{Xq} {v:put} aside altogether"),
        CH("sav4", "{v:do} {Xq} stash away", "{Xq} {v:stash} away"),
        C("sav5", "{v:do} {Xq} save altogether", "{Xq} {v:save} altogether"),
        C("sav6", "{v:do} {Xq} save over that time", "{Xq} {v:save} over that time", since=2),
        C("sav7", "{v:do} {Xq} save overall", "{Xq} {v:save} overall", since=4),
    )),
    "periods": ((("how many {periods}", "the number of {periods}"),), (
        C("per1", "{v:do} {Xq} need to save", "{Xq} {v:need} to save"),
        C("per2", "{v:do} it take {Xq} to save enough", "it {v:take} {Xq} to save enough", until=2),
        CD("per3", "{v:do} {Xq} have to wait", "{Xq} {v:have} to wait"),
        CH("per4", "{v:do} the saving last", "the saving {v:last}"),
        C("per5", "{v:do} {Xq} need", "{Xq} {v:need}"),
        C("per6", "{v:do} {Xq} save before buying it", "{Xq} {v:save} before buying it", since=2),
        C("per7", "{v:do} it take {Xqo} to save enough", "it {v:take} {Xqo} to save enough", since=3),
    )),
}  # fmt: skip


@dataclass(frozen=True)
class Wrapper:
    """How the question is put around a core: {wh} {core}, or {np} {core} for 'relative'."""

    id: str
    shape: str  # "direct", "embedded" or "relative"
    text: str
    heldout: str = TRAIN
    place: str = "any"  # "any"; "end": only after the context; "alone": not inside "If ..., "
    since: int = 1  # the wording version that added it
    until: int | None = None  # the last wording version that has it; None: every later one


WRAPPERS = (
    Wrapper("qd1", "direct", "{wh} {core}?"),
    Wrapper("qd2", "direct", "so {wh} {core}?", place="end"),
    Wrapper("qd3", "direct", "quick question: {wh} {core}?", place="alone"),
    Wrapper("qd4", "direct", "question: {wh} {core}?", place="alone"),
    Wrapper("qd5", "direct", "and {wh} {core}?", place="end"),
    Wrapper("qd6", "direct", "here is my question: {wh} {core}?", heldout=DEV, place="alone"),
    Wrapper("qd7", "direct", "{wh} {core}, do you think?", heldout=DEV),
    Wrapper("qe1", "embedded", "find {wh} {core}."),
    Wrapper("qe2", "embedded", "can you tell me {wh} {core}?"),
    Wrapper("qe3", "embedded", "work out {wh} {core}."),
    Wrapper("qe4", "embedded", "tell me {wh} {core}."),
    Wrapper("qe5", "embedded", "I want to know {wh} {core}."),
    Wrapper("qe6", "embedded", "figure out {wh} {core}."),
    Wrapper("qe7", "embedded", "please calculate {wh} {core}."),
    Wrapper("qe8", "embedded", "could you work out {wh} {core}?"),
    Wrapper("qe9", "embedded", "calculate {wh} {core}."),
    Wrapper("qe10", "embedded", "do you know {wh} {core}?"),
    Wrapper("qe11", "embedded", "determine {wh} {core}."),
    Wrapper("qe12", "embedded", "I wonder {wh} {core}.", heldout=DEV),
    Wrapper("qe13", "embedded", "help me find out {wh} {core}.", heldout=DEV),
    Wrapper("qe14", "embedded", "any idea {wh} {core}?", heldout=DEV),
    Wrapper("qr1", "relative", "what is {np} {core}?"),
    Wrapper("qr2", "relative", "find {np} {core}."),
    Wrapper("qr3", "relative", "calculate {np} {core}."),
    Wrapper("qr4", "relative", "tell me {np} {core}."),
    Wrapper("qd10", "direct", "now, {wh} {core}?", place="end"),
    Wrapper("qd11", "direct", "tell me: {wh} {core}?", place="alone"),
    Wrapper("qe18", "embedded", "can you figure out {wh} {core}?"),
    Wrapper("qe19", "embedded", "I need to know {wh} {core}."),
    Wrapper("qe20", "embedded", "show me {wh} {core}."),
    Wrapper("qr7", "relative", "can you find {np} {core}?"),
    Wrapper("qd12", "direct", "okay, {wh} {core}?", place="end", since=2),
    Wrapper("qd13", "direct", "{wh} {core}? please tell me.", place="alone", since=2),
    Wrapper("qd14", "direct", "right, so {wh} {core}?", place="end", since=2),
    Wrapper("qe21", "embedded", "what I want to know is {wh} {core}.", since=2),
    Wrapper("qe22", "embedded", "please figure out {wh} {core}.", since=2),
    Wrapper("qe23", "embedded", "try to find {wh} {core}.", since=2),
    Wrapper("qe24", "embedded", "explain {wh} {core}.", since=2),
    Wrapper("qe25", "embedded", "I'm curious {wh} {core}.", since=2),
    Wrapper("qr8", "relative", "what's {np} {core}?", since=2),
    Wrapper("qr9", "relative", "work out {np} {core}.", since=2),
    Wrapper("qr10", "relative", "I need {np} {core}.", since=2),
    Wrapper("qd15", "direct", "out of curiosity, {wh} {core}?", place="alone", since=4),
    Wrapper("qd16", "direct", "{wh} {core}, please?", since=4),
    Wrapper("qd17", "direct", "well, {wh} {core}?", place="end", since=4),
    Wrapper("qd18", "direct", "one question: {wh} {core}?", place="alone", since=4),
    Wrapper("qe26", "embedded", "guess {wh} {core}.", since=4),
    Wrapper("qe27", "embedded", "would you work out {wh} {core}?", since=4),
    Wrapper("qe28", "embedded", "I am trying to work out {wh} {core}.", since=4),
    Wrapper("qe29", "embedded", "could you check {wh} {core}?", since=4),
    Wrapper("qe30", "embedded", "say {wh} {core}.", since=4),
    Wrapper("qr11", "relative", "please work out {np} {core}.", since=4),
    Wrapper("qr12", "relative", "what would be {np} {core}?", since=4),
    Wrapper("qr5", "relative", "give me {np} {core}.", heldout=DEV),
    Wrapper("qd8", "direct", "so tell me, {wh} {core}?", heldout=TEST, place="alone"),
    Wrapper("qd9", "direct", "{wh} {core}, any thoughts?", heldout=TEST),
    Wrapper("qe15", "embedded", "I'd like to know {wh} {core}.", heldout=TEST),
    Wrapper("qe16", "embedded", "let me know {wh} {core}.", heldout=TEST),
    Wrapper("qe17", "embedded", "can you say {wh} {core}?", heldout=TEST),
    Wrapper("qr6", "relative", "I'm after {np} {core}.", heldout=TEST),
)

# How the facts and the question are laid out: (id, weight). From wording version 4 on, the
# question comes first a little more often in training wording (held-out tiers keep LAYOUTS).
LAYOUTS = (("ctx", 5), ("and", 2), ("if", 2), ("qf", 2))
LAYOUTS_SINCE_4 = (("ctx", 5), ("and", 2), ("if", 2), ("qf", 3))


# ------------------------------------------------------------------ arithmetic

OP_WORDS = {"+": ("plus",), "-": ("minus",), "*": ("times", "multiplied by"), "/": ("divided by",)}
OP_SYMBOLS = {"+": ("+",), "-": ("-",), "*": ("*", "x", "×"), "/": ("/", "÷")}
OP_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div"}

# {E} is the expression, typed with symbols ("12 + 7") or with words ("12 plus 7").
ARITH_WRAPPERS = (
    T("aw1", "what is {E}?"), T("aw2", "calculate {E}."), T("aw3", "compute {E}."),
    T("aw4", "what's {E}?"), T("aw5", "{E} = ?"), T("aw6", "work out {E}."),
    T("aw7", "evaluate {E}."), T("aw8", "how much is {E}?"), T("aw9", "find the value of {E}."),
    T("aw10", "{E} equals what?"), T("aw11", "solve {E}."), T("aw12", "what does {E} come to?"),
    T("aw13", "can you compute {E}?"), T("aw14", "please work out {E}."),
    T("aw15", "what do you get for {E}?"), T("aw16", "{E}?"), T("aw17", "what is the value of {E}?"),
    T("aw18", "tell me what {E} is."), T("aw29", "what would {E} be?"), T("aw30", "do the math: {E}."),
    T("aw31", "please solve {E}."), T("aw32", "what result does {E} give?"),
    T("aw33", "{E}, what is that?", since=2), T("aw34", "how much does {E} make?", since=2),
    T("aw35", "can you tell me what {E} is?", since=2), T("aw36", "hey, what is {E}?", since=2),
    T("aw40", "work this out: {E}.", since=4), T("aw41", "what do we get from {E}?", since=4),
    T("aw42", "please compute {E} for me.", since=4), T("aw43", "what is the result of {E}?", since=4),
    T("aw37", "what is {E} equal to?", since=2), T("aw38", "find {E}.", since=2), T("aw39", "tell me {E}.", since=2),
    D("aw19", "{E} is how much?"), D("aw20", "give me the result of {E}."),
    D("aw21", "I need the answer to {E}."), D("aw22", "what number do you get from {E}?"),
    D("aw23", "figure out {E} for me."),
    H("aw24", "what comes out of {E}?"), H("aw25", "do {E} for me."), H("aw26", "quick one: {E}."),
    H("aw27", "what's the answer to {E}?"), H("aw28", "run the numbers on {E}."),
)  # fmt: skip

# Two-operand phrasings that are more than a wrapper around "a op b" (always a op b).
ARITH_TEMPLATES = {
    "+": (
        T("add1", "add {a} and {b}."), T("add2", "add {b} to {a}."),
        T("add3", "what is the sum of {a} and {b}?"),
        T("add4", "if you add {a} and {b}, what do you get?"),
        T("add5", "what do you get when you add {b} to {a}?"),
        T("add6", "find the sum of {a} and {b}."), T("add7", "what is {b} more than {a}?"),
        T("add8", "increase {a} by {b}."), T("add14", "what is {a} added to {b}?"),
        T("add15", "sum up {a} and {b}."),
        T("add16", "what is {a} increased by {b}?", since=2), T("add17", "add up {a} and {b}.", since=2),
        T("add18", "how much are {a} and {b} in total?", since=2),
        T("add19", "what is {a} and {b} added together?", since=4),
        T("add21", "what is the total of {a} and {b}?", since=4),
        D("add9", "what total do {a} and {b} make together?"),
        D("add10", "put {a} and {b} together. what do you have?"),
        D("add11", "combine {a} with {b}: what is the total?"),
        H("add12", "what do {a} and {b} add up to?"), H("add13", "{a} with {b} added on is what?"),
    ),
    "-": (
        T("sub1", "subtract {b} from {a}."), T("sub2", "take {b} away from {a}."),
        T("sub3", "what is the difference between {a} and {b}?"),
        T("sub4", "what do you get if you subtract {b} from {a}?"),
        T("sub5", "what is {b} less than {a}?"), T("sub6", "decrease {a} by {b}."),
        T("sub7", "take away {b} from {a}."),
        T("sub8", "how much is left if you take {b} from {a}?"),
        T("sub14", "subtract {b} from {a}: what is left?"), T("sub15", "{a} take away {b} is what?"),
        T("sub16", "what is {a} less {b}?", since=2), T("sub17", "how much smaller is {b} than {a}?", since=2),
        T("sub18", "deduct {b} from {a}.", since=2),
        T("sub19", "what remains when {b} is taken from {a}?", since=4),
        T("sub21", "what is {a} with {b} removed?", since=4),
        D("sub9", "reduce {a} by {b}."), D("sub10", "remove {b} from {a}: what remains?"),
        D("sub11", "how far apart are {a} and {b}?"),
        H("sub12", "knock {b} off {a}."), H("sub13", "what is left of {a} after taking out {b}?"),
    ),
    "*": (
        T("mul1", "multiply {a} by {b}."), T("mul2", "what is the product of {a} and {b}?"),
        T("mul3", "what do you get when you multiply {a} by {b}?"),
        T("mul4", "multiply {a} and {b}."), T("mul5", "what are {b} lots of {a}?"),
        T("mul6", "find the product of {a} and {b}."), T("mul7", "what is {b} groups of {a}?"),
        T("mul13", "{b} rows of {a}: how many in all?"),
        T("mul14", "if each of {b} boxes holds {a}, how many is that in all?"),
        T("mul15", "what are {b} batches of {a}?", since=2), T("mul16", "{b} packs of {a}: what is the total?", since=2),
        T("mul17", "what is {a} repeated {b} times?", since=2),
        T("mul18", "what is {a} multiplied {b} times?", since=4),
        D("mul8", "what is {a} taken {b} times?"),
        D("mul9", "if you have {b} sets of {a}, how many is that?"),
        D("mul10", "scale {a} up by a factor of {b}."),
        H("mul11", "{b} copies of {a} make how much?"), H("mul12", "what do {b} bundles of {a} come to?"),
    ),
    "/": (
        T("div1", "divide {a} by {b}."), T("div2", "what do you get if you divide {a} by {b}?"),
        T("div3", "how many times does {b} go into {a}?"),
        T("div4", "what is the quotient of {a} and {b}?"),
        T("div5", "split {a} into {b} equal parts. how big is each part?"),
        T("div6", "if you share {a} equally among {b}, how much does each get?"),
        T("div11", "how many groups of {b} can you make from {a}?"),
        T("div12", "what is {a} split {b} ways?", since=2),
        T("div13", "divide {a} into {b} equal groups. how many in each group?", since=2),
        T("div14", "what is {a} shared equally by {b}?", since=4),
        T("div16", "break {a} into {b} equal parts: what is each part?", since=4),
        D("div7", "cut {a} into {b} equal pieces: how large is one piece?"),
        D("div8", "how often does {b} fit into {a}?"),
        H("div9", "share {a} between {b} people: how much for each?"), H("div10", "what is {a} over {b}?"),
    ),
}  # fmt: skip

# Step-by-step instructions, applied left to right: {a} is the start, {steps} the list.
ARITH_CHAINS = (
    T("ch1", "start with {a}, {steps}. what do you get?"),
    T("ch2", "take {a}, {steps}. what is the result?"),
    T("ch3", "if you start from {a}, {steps}, what do you end up with?"),
    T("ch4", "begin with {a}, {steps}. what number do you have now?"),
    T("ch9", "first take {a}, then {steps}. what is the answer?"),
    T("ch10", "{a} is the start: {steps}. what do you get?"),
    T("ch11", "let's say you have {a}. {steps}. what is it now?", since=2),
    T("ch12", "your number is {a}. {steps}. what is it now?", since=2),
    T("ch13", "pick the number {a}. {steps}. what is the final result?", since=4),
    T("ch14", "start from {a}; {steps}. what number is left?", since=4),
    D("ch5", "think of the number {a}. {steps}. which number do you get?"),
    D("ch6", "starting at {a}, {steps}, and tell me the final number."),
    H("ch7", "go from {a}: {steps}. where do you land?"),
    H("ch8", "with {a} as the starting point, {steps}. what is the outcome?"),
)
ARITH_INSTRUCTIONS = {
    "+": (T("ia1", "add {n}"), T("ia6", "plus {n}"), T("ia2", "add {n} to it"), T("ia3", "increase it by {n}"),
          T("ia7", "add on {n}", since=2), T("ia8", "make it {n} more", since=2),
          T("ia9", "increase that by {n}", since=4), T("ia10", "go up by {n}", since=4),
          D("ia4", "raise it by {n}"), H("ia5", "put {n} on top")),
    "-": (T("is1", "subtract {n}"), T("is6", "minus {n}"), T("is2", "take away {n}"), T("is3", "subtract {n} from it"),
          T("is7", "take off {n}", since=2), T("is8", "make it {n} less", since=2),
          T("is9", "drop it by {n}", since=4), T("is10", "go down by {n}", since=4),
          D("is4", "lower it by {n}"), H("is5", "knock off {n}")),
    "*": (T("im1", "multiply by {n}"), T("im6", "times {n}"), T("im2", "multiply it by {n}"), T("im3", "times it by {n}"),
          T("im7", "multiply the result by {n}", since=2), T("im8", "multiply that by {n}", since=4),
          T("im9", "make it {n} times larger", since=4),
          D("im4", "make it {n} times as big"), H("im5", "take it {n} times")),
    "/": (T("id1", "divide by {n}"), T("id6", "divided by {n}"), T("id2", "divide it by {n}"),
          T("id7", "divide the result by {n}", since=2), T("id8", "split it {n} ways", since=2),
          T("id9", "split that into {n} equal parts", since=4), T("id10", "divide that by {n}", since=4),
          T("id3", "split it into {n} equal parts"), D("id4", "share it out equally among {n}"),
          H("id5", "cut it into {n} equal shares")),
}  # fmt: skip
CHAIN_JOINS = (", then ", " and then ", ", after that ")

# Fixed-shape phrasings: (phrase, shape); letters in the shape are the numbers in the text.
ARITH_SHAPES = (
    (T("np1", "multiply the sum of {a} and {b} by {c}."), "(a+b)*c"),
    (T("np2", "add {a} to the product of {b} and {c}."), "a+b*c"),
    (T("np3", "subtract the product of {b} and {c} from {a}."), "a-b*c"),
    (T("np4", "divide the sum of {a} and {b} by {c}."), "(a+b)/c"),
    (T("np5", "what is the sum of {a}, {b} and {c}?"), "a+b+c"),
    (T("np6", "find the total of {a}, {b}, {c} and {d}."), "a+b+c+d"),
    (T("np7", "what is the difference between {a} and the sum of {b} and {c}?"), "a-(b+c)"),
    (T("np8", "what is the product of {a} and {b}, minus {c}?"), "a*b-c"),
    (T("np9", "multiply the difference of {a} and {b} by {c}."), "(a-b)*c"),
    (T("np10", "add the product of {a} and {b} to the product of {c} and {d}."), "a*b+c*d"),
    (T("np11", "divide the product of {a} and {b} by {c}."), "a*b/c"),
    (T("np18", "what is {c} times the sum of {a} and {b}?"), "c*(a+b)"),
    (T("np19", "add {c} to the product of {a} and {b}."), "a*b+c"),
    (T("np20", "add {a} and {b}, then multiply by {c}.", since=2), "(a+b)*c"),
    (T("np21", "multiply {a} by {b} and add {c}.", since=2), "a*b+c"),
    (T("np22", "take {a}, and subtract both {b} and {c}.", since=2), "a-(b+c)"),
    (T("np23", "what is {a} minus the product of {b} and {c}?", since=2), "a-b*c"),
    (T("np24", "subtract the sum of {b} and {c} from {a}.", since=4), "a-(b+c)"),
    (T("np25", "what is {c} multiplied by the sum of {a} and {b}?", since=4), "c*(a+b)"),
    (T("np27", "what is the sum of {a} and {b}, times {c}?", since=4), "(a+b)*c"),
    (T("np28", "from {a}, subtract the product of {b} and {c}.", since=4), "a-b*c"),
    (D("np12", "what do you get when the product of {a} and {b} is increased by {c}?"), "a*b+c"),
    (D("np13", "how much is {c} groups of the sum of {a} and {b}?"), "c*(a+b)"),
    (D("np14", "take the sum of {a} and {b} away from {c}."), "c-(a+b)"),
    (H("np15", "what do {a} and {b} add up to, multiplied by {c}?"), "(a+b)*c"),
    (H("np16", "from {a}, take away {b} lots of {c}."), "a-b*c"),
    (H("np17", "the product of {a} and {b}, plus {c}, is how much?"), "a*b+c"),
)
