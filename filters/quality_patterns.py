"""Boilerplate cues for the sentence and paragraph quality scores, in many languages.

Each cue is ``(phrase, weight)``, matched in lower-cased text. Weights add up inside a sentence
or paragraph and are scaled down for long spans (a cookie recipe is not a cookie banner), so one
strong cue (about 0.6 and over) sinks a short line by itself and weak cues sink it together.
A ``*`` at either end of a phrase lifts the word-boundary requirement on that side (German
compounds: ``datenschutz*`` also finds "Datenschutzerklärung"); phrases in unspaced scripts
never need boundaries. The phrases describe kinds of site furniture (cookie banners, copyright
and legal lines, sharing and following prompts, newsletter and sign-up prompts, "click here" and
"read more" links, navigation words, disclaimers, comment and login widgets, ads), not the text
of any particular site.
"""
from __future__ import annotations

STRONG, MEDIUM, WEAK, FAINT = 0.7, 0.45, 0.25, 0.12

CUES: dict[str, list[tuple[str, float]]] = {
    "cookie": [
        ("cookie*", MEDIUM), ("use of cookies", STRONG), ("use cookies", STRONG),
        ("uses cookies", STRONG), ("accept cookies", STRONG), ("accept all", MEDIUM), ("cookie settings", STRONG),
        ("cookie policy", STRONG), ("cookie-richtlinie*", STRONG), ("cookie-einstellungen", STRONG),
        ("verwendet cookies", STRONG), ("verwenden cookies", STRONG), ("setzt cookies", STRONG),
        ("utilise des cookies", STRONG), ("utilisons des cookies", STRONG), ("utilizamos cookies", STRONG),
        ("utiliza cookies", STRONG), ("usa cookies", STRONG), ("utilizziamo i cookie", STRONG),
        ("utilizamos cookies", STRONG), ("wij gebruiken cookies", STRONG), ("używamy plików cookie", STRONG),
        ("pliki cookie", STRONG), ("файлы cookie", STRONG), ("куки", MEDIUM), ("çerez*", MEDIUM),
        ("クッキー", MEDIUM), ("쿠키", MEDIUM), ("ملفات تعريف الارتباط", STRONG),
        ("nutzererlebnis", WEAK), ("browsing experience", MEDIUM), ("浏览体验", MEDIUM), ("继续浏览", MEDIUM),
        ("by continuing", MEDIUM), ("continuing to browse", STRONG), ("continuing to use", MEDIUM),
        ("consent", FAINT), ("gdpr", MEDIUM), ("dsgvo", MEDIUM),
        ("continuar navegando", MEDIUM), ("continúa navegando", MEDIUM), ("continuando a navegar", MEDIUM),
        ("en poursuivant votre navigation", STRONG), ("poursuivant votre navigation", STRONG),
        ("weiter nutzen", WEAK), ("weitere nutzung", WEAK), ("proseguendo la navigazione", STRONG),
        ("acepta el uso", MEDIUM), ("aceptas el uso", MEDIUM), ("acceptez l'utilisation", MEDIUM),
        ("stimmen sie der verwendung", STRONG), ("agree to the use", MEDIUM), ("you agree to our", MEDIUM),
        ("improve your experience", WEAK), ("mejorar su experiencia", WEAK), ("mejorar tu experiencia", WEAK),
        ("améliorer votre expérience", WEAK), ("melhorar a sua experiência", WEAK),
    ],
    "copyright": [
        ("©", STRONG), ("(c) 19*", MEDIUM), ("(c) 20*", MEDIUM), ("copyright", STRONG), ("all rights reserved", STRONG),
        ("rights reserved", STRONG), ("alle rechte vorbehalten", STRONG), ("tous droits réservés", STRONG),
        ("todos los derechos reservados", STRONG), ("derechos reservados", STRONG), ("tutti i diritti riservati", STRONG),
        ("todos os direitos reservados", STRONG), ("alle rechten voorbehouden", STRONG),
        ("wszelkie prawa zastrzeżone", STRONG), ("все права защищены", STRONG), ("усі права захищені", STRONG),
        ("všechna práva vyhrazena", STRONG), ("tüm hakları saklıdır", STRONG), ("alla rättigheter förbehållna", STRONG),
        ("alle rettigheder forbeholdes", STRONG), ("جميع الحقوق محفوظة", STRONG), ("hak cipta", STRONG),
        ("bản quyền", STRONG), ("版权所有", STRONG), ("版權所有", STRONG), ("保留所有权利", STRONG),
        ("保留一切权利", STRONG), ("著作権", STRONG), ("無断転載", STRONG), ("無断複製", STRONG), ("転載禁止", STRONG),
        ("不得转载", STRONG), ("如有侵权", STRONG), ("联系删除", STRONG), ("来源于网络", MEDIUM), ("무단 전재", STRONG),
        ("재배포 금지", STRONG), ("禁止转载", STRONG), ("未经许可", MEDIUM), ("未经授权", MEDIUM), ("转载请注明", STRONG),
        ("转载", WEAK), ("版权", MEDIUM), ("저작권", STRONG), ("icp备", STRONG), ("icp证", STRONG), ("公网安备", STRONG),
    ],
    "legal": [
        ("privacy policy", STRONG), ("privacy statement", STRONG), ("privacy notice", STRONG),
        ("terms of use", STRONG), ("terms of service", STRONG), ("terms and conditions", MEDIUM),
        ("terms & conditions", STRONG), ("legal notice", MEDIUM), ("impressum", STRONG), ("datenschutz*", MEDIUM),
        ("datenschutzerklärung", STRONG), ("nutzungsbedingungen", MEDIUM), ("agb", MEDIUM), ("kontakt", WEAK),
        ("mentions légales", STRONG), ("politique de confidentialité", STRONG), ("conditions générales", MEDIUM),
        ("aviso legal", STRONG), ("política de privacidad", STRONG), ("política de cookies", STRONG),
        ("términos y condiciones", MEDIUM), ("informativa sulla privacy", STRONG), ("note legali", STRONG),
        ("política de privacidade", STRONG), ("termos de uso", STRONG), ("privacyverklaring", STRONG),
        ("polityka prywatności", STRONG), ("политика конфиденциальности", STRONG),
        ("пользовательское соглашение", STRONG), ("gizlilik politikası", STRONG),
        ("隐私政策", STRONG), ("隐私条款", STRONG), ("隱私政策", STRONG), ("使用条款", STRONG), ("服务条款", STRONG),
        ("用户协议", MEDIUM), ("法律声明", STRONG), ("联系我们", MEDIUM), ("關於我們", MEDIUM), ("关于我们", MEDIUM),
        ("网站地图", STRONG), ("プライバシーポリシー", STRONG), ("利用規約", STRONG), ("お問い合わせ", MEDIUM),
        ("개인정보처리방침", STRONG), ("이용약관", STRONG), ("سياسة الخصوصية", STRONG), ("sitemap", MEDIUM),
        ("contact us", MEDIUM), ("about us", WEAK),
    ],
    "disclaimer": [
        ("disclaimer", STRONG), ("haftungsausschluss", STRONG), ("免责声明", STRONG), ("免責聲明", STRONG),
        ("免責事項", STRONG), ("仅代表作者", STRONG), ("僅代表作者", STRONG), ("不代表本站", STRONG),
        ("与本站无关", STRONG), ("本站", MEDIUM), ("本网站", MEDIUM), ("本網站", MEDIUM), ("个人观点", WEAK),
        ("does not necessarily reflect", MEDIUM), ("for informational purposes only", MEDIUM),
    ],
    "newsletter": [
        ("newsletter*", STRONG), ("subscribe", MEDIUM), ("unsubscribe", MEDIUM), ("sign up", WEAK),
        ("your inbox", MEDIUM), ("your email address", MEDIUM), ("e-mail-adresse", WEAK), ("abonnieren", MEDIUM),
        ("abonnez-vous", MEDIUM), ("inscrivez-vous", MEDIUM), ("suscríbete", MEDIUM), ("suscribirse", MEDIUM),
        ("iscriviti", MEDIUM), ("inscreva-se", MEDIUM), ("подпишитесь", MEDIUM), ("подписаться", MEDIUM),
        ("订阅", MEDIUM), ("訂閱", MEDIUM), ("メルマガ", STRONG), ("購読", WEAK), ("구독", MEDIUM),
        ("verpassen sie keine", MEDIUM), ("never miss", WEAK), ("latest news", WEAK), ("stay up to date", MEDIUM),
        ("stay updated", MEDIUM), ("melden sie sich", WEAK), ("اشترك", MEDIUM), ("النشرة الإخبارية", STRONG),
        ("subscribe now", STRONG), ("jetzt abonnieren", STRONG),
    ],
    "share": [
        ("share this", STRONG), ("share on", MEDIUM), ("share via", MEDIUM), ("tweet", WEAK),
        ("facebook", WEAK), ("twitter", WEAK), ("linkedin", WEAK), ("whatsapp", WEAK), ("pinterest", WEAK),
        ("instagram", WEAK), ("youtube", FAINT), ("tiktok", WEAK), ("telegram", FAINT), ("reddit", FAINT),
        ("xing", WEAK), ("vkontakte", WEAK), ("email", FAINT), ("e-mail", FAINT), ("teilen", MEDIUM),
        ("partager", MEDIUM), ("compartir", MEDIUM), ("condividi", MEDIUM), ("compartilhar", MEDIUM),
        ("udostępnij", MEDIUM), ("поделиться", MEDIUM), ("paylaş", MEDIUM), ("分享到", STRONG), ("分享", WEAK),
        ("微博", WEAK), ("微信", WEAK), ("qq空间", MEDIUM), ("朋友圈", WEAK), ("シェア", MEDIUM), ("공유", WEAK),
        ("مشاركة", WEAK),
    ],
    "follow": [
        ("follow us", STRONG), ("like us on", STRONG), ("find us on", MEDIUM), ("folgen sie uns", STRONG),
        ("suivez-nous", STRONG), ("síguenos", STRONG), ("seguici", STRONG), ("siga-nos", STRONG),
        ("подписывайтесь", MEDIUM), ("关注我们", STRONG), ("关注", WEAK), ("關注", WEAK), ("公众号", STRONG),
        ("公眾號", STRONG), ("二维码", MEDIUM), ("二維碼", MEDIUM), ("扫码", MEDIUM), ("扫描", WEAK), ("長按", WEAK),
        ("长按", WEAK), ("点赞", WEAK), ("フォロー", MEDIUM), ("팔로우", MEDIUM),
    ],
    "links": [
        ("click here", STRONG), ("click to", MEDIUM), ("read more", MEDIUM), ("learn more", MEDIUM),
        ("more stories", MEDIUM), ("related articles", MEDIUM), ("related posts", STRONG), ("see also", FAINT),
        ("continue reading", STRONG), ("hier klicken", STRONG), ("klicken sie", MEDIUM), ("weiterlesen", STRONG),
        ("mehr erfahren", MEDIUM), ("mehr lesen", MEDIUM), ("cliquez ici", STRONG), ("lire la suite", STRONG),
        ("en savoir plus", MEDIUM), ("haga clic", STRONG), ("haz clic", STRONG), ("leer más", STRONG),
        ("clicca qui", STRONG), ("leggi tutto", STRONG), ("clique aqui", STRONG), ("leia mais", STRONG),
        ("kliknij tutaj", STRONG), ("czytaj więcej", STRONG), ("нажмите здесь", STRONG), ("читать далее", STRONG),
        ("подробнее", MEDIUM), ("devamını oku", STRONG), ("点击这里", STRONG), ("点击查看", STRONG), ("点击进入", STRONG),
        ("点击", WEAK), ("阅读全文", STRONG), ("阅读原文", STRONG), ("查看更多", STRONG), ("更多精彩", STRONG),
        ("精彩内容", MEDIUM), ("详情请", MEDIUM), ("上一篇", STRONG), ("下一篇", STRONG), ("返回顶部", STRONG),
        ("返回首页", STRONG), ("上一页", STRONG), ("下一页", STRONG), ("相关文章", MEDIUM), ("相关阅读", MEDIUM),
        ("热门文章", MEDIUM), ("推荐阅读", MEDIUM), ("打印本页", STRONG), ("关闭窗口", STRONG), ("加入收藏", STRONG),
        ("设为首页", STRONG), ("手机版", MEDIUM), ("在线客服", MEDIUM), ("客服热线", MEDIUM), ("标签：", MEDIUM),
        ("暂无", WEAK), ("recent posts", STRONG), ("popular posts", STRONG), ("previous article", STRONG),
        ("next article", STRONG), ("powered by", STRONG), ("print this page", STRONG), ("add to cart", STRONG),
        ("alle beiträge", MEDIUM), ("mehr zum thema", MEDIUM), ("get the app", MEDIUM), ("download the app", MEDIUM),
        ("load more", MEDIUM), ("show more", MEDIUM), ("view all", MEDIUM), ("druckversion", STRONG), ("続きを読む", STRONG), ("詳しくはこちら", STRONG), ("こちら", WEAK),
        ("더보기", STRONG), ("اقرأ المزيد", STRONG), ("اضغط هنا", STRONG),
    ],
    "navigation": [
        ("home", FAINT), ("back to top", STRONG), ("skip to content", STRONG), ("skip to main", STRONG),
        ("main menu", STRONG), ("navigation", WEAK), ("breadcrumb", STRONG), ("previous post", STRONG),
        ("next post", STRONG), ("zum inhalt", MEDIUM), ("startseite", MEDIUM), ("nach oben", MEDIUM),
        ("accueil", WEAK), ("inicio", FAINT), ("首页", MEDIUM), ("首頁", MEDIUM), ("导航", MEDIUM), ("网站导航", STRONG),
        ("トップページ", MEDIUM), ("ホーム", WEAK), ("главная", WEAK),
    ],
    "account": [
        ("log in", WEAK), ("login", WEAK), ("sign in", WEAK), ("register", FAINT), ("create an account", MEDIUM),
        ("forgot your password", STRONG), ("password", FAINT), ("anmelden", WEAK), ("registrieren", WEAK),
        ("se connecter", WEAK), ("iniciar sesión", WEAK), ("войти", WEAK), ("登录", MEDIUM), ("登錄", MEDIUM),
        ("注册", WEAK), ("ログイン", MEDIUM), ("로그인", MEDIUM),
    ],
    "comments": [
        ("leave a comment", STRONG), ("leave a reply", STRONG), ("post a comment", STRONG), ("comments", FAINT),
        ("reply", FAINT), ("kommentar schreiben", STRONG), ("laisser un commentaire", STRONG),
        ("deja un comentario", STRONG), ("发表评论", STRONG), ("网友评论", STRONG), ("评论", WEAK), ("コメント", WEAK),
        ("posted by", MEDIUM), ("posted on", MEDIUM), ("tags", WEAK), ("filed under", STRONG),
        ("责任编辑", STRONG), ("責任編輯", STRONG), ("编辑：", MEDIUM), ("来源：", MEDIUM),
    ],
    "ads": [
        ("advertisement", STRONG), ("sponsored", MEDIUM), ("anzeige", MEDIUM), ("werbung", MEDIUM),
        ("publicité", MEDIUM), ("publicidad", MEDIUM), ("реклама", MEDIUM), ("广告", MEDIUM), ("廣告", MEDIUM),
        ("広告", MEDIUM), ("buy now", MEDIUM), ("order now", MEDIUM), ("free shipping", MEDIUM), ("best price", MEDIUM),
        ("best deals", MEDIUM), ("limited offer", MEDIUM), ("discount", FAINT),
    ],
    "javascript": [
        ("javascript", MEDIUM), ("enable javascript", STRONG), ("browser does not support", STRONG),
        ("update your browser", STRONG), ("启用javascript", STRONG),
    ],
}

# C4 drops lines naming these (policy) and pages with these (placeholder text).
C4_POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
LOREM = ("lorem ipsum", "dolor sit amet", "consectetur adipiscing")
