"""Gambling and contact-farm cues through the quality scorer: pushed gambling pages fail the
rules in several languages; news about gambling, a shop's contact line and a lottery notice do not."""
from filters.quality import QualityScorer

SCORER = QualityScorer()


def rules(text, lang):
    failed = SCORER.score(text, lang).failed_rules
    return "gambling_spam" in failed, "contact_farm" in failed


def test_pushed_gambling_pages_are_spam():
    zh = "新一轮活动上线，充值300即可提现，包赔到账。六合彩平特一肖，时时彩倍投计划。加QQ：215138693\n" * 3
    en = "Best online casino! Claim your welcome bonus and free spins, fast withdrawal. Play slots and poker now.\n" * 3
    th = "คาสิโนออนไลน์ สล็อต บาคาร่า ฝาก ถอน ไม่มีขั้นต่ำ รับโบนัส 100%\n" * 3
    id_ = "Situs judi slot gacor terpercaya, bonus new member 100, deposit pulsa tanpa potongan, togel online.\n" * 3
    assert [rules(t, lang)[0] for t, lang in ((zh, "zh"), (en, "en"), (th, "th"), (id_, "id"))] == [True] * 4
    assert rules(zh, "zh")[1]                                   # the same QQ number three times
    signals = SCORER.score(zh, "zh").signals
    assert signals["gambling_cues"] >= 3 and signals["money_cues"] >= 3 and signals["contact_mentions"] == 3


def test_ordinary_pages_are_not_spam():
    news = ("The state legislature debated a bill on Tuesday that would regulate online betting and casino "
            "advertising. Critics said gambling addiction services are underfunded, while the industry argued "
            "that licensed operators pay taxes that fund schools. The committee will vote next month. " * 4)
    shop = "Contact us on WeChat: shop_2024 for orders. We ship worldwide within three days. Prices include tax. " * 2
    lottery = "彩票中心发布公告：本期开奖结果将在官网公布，请购彩者理性投注，未成年人不得购买。" * 2
    assert [rules(t, lang) for t, lang in ((news, "en"), (shop, "en"), (lottery, "zh"))] == [(False, False)] * 3


def test_app_byte_prefilter_agrees_with_the_str_automaton():
    """spam_cues looks for app handles only where the UTF-8 byte automaton finds an app name:
    exactly the texts where the str automaton (the old way, run on every text) finds one."""
    import random
    from filters.matching import overlapping_matches
    from filters.spam import _CONTACT_APPS, _automata
    _, _, app_auto, app_bytes = _automata()
    rng = random.Random(7)
    alphabet = list("ab QqIDLineVX信微威薇号：: 1234@_.\ud800\udfff카톡텔레그램Zalo\u00e9\U0001F600") + _CONTACT_APPS
    texts = ["", "QQ", "Q", "WeChat", "wechat", "LINE ID: x", "Line", "\ud800QQ", "微\ud800信", "텔레그", "V信"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    for t in texts:
        str_found = bool(overlapping_matches(app_auto, t))
        assert bool(app_bytes.find_matches_as_indexes(t.encode("utf-8", "surrogatepass"))) == str_found, t
    assert sum(bool(overlapping_matches(app_auto, t)) for t in texts) > 500
