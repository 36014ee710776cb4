"""Word pools the seeded data draws from: names in several scripts, places, texts.

Markup appears on purpose (in a few names and message texts): the dashboard
must show it as text, never as HTML.
"""

from typing import Final

#: script -> (names, cities, languages, phone prefixes)
NAMES: Final[dict[str, tuple[str, ...]]] = {
    "latin": (
        "Asha Rao",
        "Rahul Mehta",
        "Priya Nair",
        "Maria Fernandes",
        "John Smith",
        "Fatima Khan",
        "Arjun Iyer",
        "Sneha Kulkarni",
        "Vikram Singh",
        "Anita Desai",
        "Kiran Shah",
        "Emma Wilson",
        "Oliver Brown",
        "Chloé Dubois",
        "José Álvarez",
        "Zoë O'Connor",
        "Deepa Menon",
        "Rohan D'Souza",
        "Neha Gupta",
        "Aditya Joshi",
    ),
    "devanagari": (
        "आशा राव",
        "राहुल शर्मा",
        "प्रिया पटेल",
        "सुनील वर्मा",
        "अनीता सिंह",
        "विकास गुप्ता",
        "कविता जोशी",
        "मनोज कुमार",
        "पूजा यादव",
        "अमित मिश्रा",
    ),
    "arabic": (
        "فاطمة الزهراء",
        "محمد علي",
        "ليلى حسن",
        "أحمد منصور",
        "نور الهدى",
        "يوسف خالد",
        "سارة إبراهيم",
        "عمر فاروق",
    ),
    "cjk": (
        "王芳",
        "李伟",
        "张敏",
        "刘洋",
        "陈静",
        "田中 花子",
        "佐藤 健",
        "김민준",
        "이서연",
    ),
    "cyrillic": (
        "Иван Петров",
        "Ольга Смирнова",
        "Дмитрий Иванов",
        "Анна Кузнецова",
        "Сергей Попов",
        "Елена Соколова",
    ),
}

SCRIPT_WEIGHTS: Final[dict[str, int]] = {
    "latin": 55,
    "devanagari": 20,
    "arabic": 10,
    "cjk": 8,
    "cyrillic": 7,
}

CITIES: Final[dict[str, tuple[str, ...]]] = {
    "latin": ("Pune", "Mumbai", "Bengaluru", "Chennai", "Delhi", "London", "Goa"),
    "devanagari": ("Pune", "Delhi", "Jaipur", "Lucknow", "Patna", "Nagpur"),
    "arabic": ("Dubai", "Abu Dhabi", "Riyadh", "Muscat"),
    "cjk": ("Shanghai", "Singapore", "Tokyo", "Seoul"),
    "cyrillic": ("Moscow", "Almaty", "Tashkent"),
}

LANGUAGES: Final[dict[str, tuple[str, ...]]] = {
    "latin": ("en", "en", "en", "hi", "mr"),
    "devanagari": ("hi", "hi", "mr", "en"),
    "arabic": ("ar", "ar", "en"),
    "cjk": ("zh", "ja", "ko", "en"),
    "cyrillic": ("ru", "ru", "en"),
}

#: script -> ((country code, national number length, leading digits), ...)
PHONE_PLANS: Final[dict[str, tuple[tuple[str, int, str], ...]]] = {
    "latin": (("91", 10, "6789"), ("91", 10, "6789"), ("44", 10, "7"), ("1", 10, "2345689")),
    "devanagari": (("91", 10, "6789"), ("977", 10, "98")),
    "arabic": (("971", 9, "5"), ("966", 9, "5"), ("968", 8, "9")),
    "cjk": (("86", 11, "1"), ("65", 8, "89"), ("81", 10, "9")),
    "cyrillic": (("7", 10, "9"),),
}

#: A few names carry markup, on purpose.
MARKUP_NAMES: Final[tuple[str, ...]] = (
    "<b>Bold</b> Menon",
    "<script>alert(1)</script>",
    'Tom & Jerry\'s "Shop"',
    "<img src=x onerror=alert(1)> Rao",
)

#: Texts with markup that some messages carry.
MARKUP_TEXTS: Final[tuple[str, ...]] = (
    '<script>alert("x")</script>',
    "this is <b>bold</b> and <i>angry</i>",
    '<a href="javascript:alert(1)">click me</a> please',
    "I want a refund & I want it NOW </td></tr>",
)

PLANS: Final[tuple[str, ...]] = ("free", "silver", "gold", "platinum")
PLAN_WEIGHTS: Final[tuple[int, ...]] = (40, 30, 20, 10)
CUSTOMER_TYPES: Final[tuple[str, ...]] = ("regular", "vip", "new")
CUSTOMER_TYPE_WEIGHTS: Final[tuple[int, ...]] = (70, 10, 20)

RATINGS: Final[tuple[str, ...]] = ("1", "2", "3", "4", "5")
#: 1: 8%, 2: 10%, 3: 17%, 4: 25%, 5: 40%.
RATING_WEIGHTS: Final[tuple[int, ...]] = (8, 10, 17, 25, 40)

AGENTS: Final[tuple[str, ...]] = ("Ravi", "Meera", "Imran", "Lakshmi", "Daniel", "Yuki")

USER_OPENERS: Final[tuple[str, ...]] = (
    "hi",
    "Hello",
    "my order never came",
    "where is my order?",
    "I was charged twice",
    "the app keeps crashing",
    "how do I change my address",
    "cancel my subscription",
    "नमस्ते, मेरा ऑर्डर कहाँ है?",
    "مرحبا، أين طلبي؟",
    "我的订单在哪里",
    "Здравствуйте, где мой заказ?",
    "refund please!!!",
    "can I talk to a human",
    "payment failed but money deducted 😡",
    "thanks 🙏",
    "ok",
    "The delivery guy was rude",
    "need invoice for GST",
)

BOT_REPLIES: Final[tuple[str, ...]] = (
    "Let me check that for you.",
    "Sorry to hear that. What next?",
    "Your order A-{n} is out for delivery.",
    "I have raised a refund request for you.",
    "Please share your registered e-mail address.",
    "Here is what I found:",
    "Is there anything else I can help with?",
)

BUTTON_SETS: Final[tuple[tuple[str, ...], ...]] = (
    ("Talk to an agent", "Track order"),
    ("Yes", "No"),
    ("Refund", "Replace", "Something else"),
    ("Track order", "Cancel order", "Change address", "Talk to an agent"),
)

FEEDBACK_COMMENTS: Final[dict[int, tuple[str, ...]]] = {
    1: ("useless", "worst service ever", "nobody helped me", "बहुत खराब"),
    2: ("slow", "took too long", "agent was not helpful"),
    3: ("ok", "average", "could be better"),
    4: ("good", "quick reply", "thanks"),
    5: ("excellent!", "Ravi was great 👍", "very helpful", "शानदार सेवा"),
}
