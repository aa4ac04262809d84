"""Name pools: people per language, companies, e-mail domains and the ASCII folding for e-mails."""

from __future__ import annotations

import re


def _pool(text: str) -> tuple[str, ...]:
    """A comma-separated list as a tuple (keeps the pools compact and formatter-stable)."""
    return tuple(item.strip() for item in text.split(","))


LANGUAGE: dict[str, str] = {
    "US": "en",
    "GB": "en",
    "AU": "en",
    "CA": "en",
    "DE": "de",
    "FR": "fr",
    "NL": "nl",
    "JP": "ja",
}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _pool(
        "James, Mary, John, Patricia, Robert, Jennifer, Michael, Linda, William, "
        "Elizabeth, David, Barbara, Richard, Susan, Joseph, Jessica, Thomas, Sarah, "
        "Charles, Karen, Daniel, Emma, Oliver, Olivia, Jack, Sophie, Liam, Chloe, Noah, "
        "Grace, Ethan, Lucy, Maria, Carlos, Priya, Wei, Aisha, Omar, Hannah, Samuel"
    ),
    "de": _pool(
        "Lukas, Anna, Leon, Lea, Felix, Hannah, Jonas, Mia, Paul, Laura, Max, Lena, "
        "Jürgen, Sophie, Tobias, Katharina, Stefan, Julia, Florian, Sabine, Björn, Jörg"
    ),
    "fr": _pool(
        "Jean, Marie, Pierre, Camille, Louis, Léa, Hugo, Chloé, Lucas, Manon, Théo, "
        "Inès, Nicolas, Élodie, François, Amélie, Julien, Céline, Antoine, Hélène"
    ),
    "nl": _pool(
        "Daan, Emma, Sem, Julia, Lucas, Sophie, Levi, Tess, Finn, Anna, Bram, Sanne, "
        "Thijs, Lotte, Ruben, Fleur, Jesse, Eva, Lars, Noor"
    ),
    "ja": _pool(
        "Haruto, Yui, Sota, Hina, Yuto, Sakura, Riku, Aoi, Kaito, Yuna, Hiroshi, Yuki, "
        "Takumi, Mei, Kenji, Akari, Daiki, Rin, Shota, Emi"
    ),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _pool(
        "Smith, Johnson, Williams, Brown, Jones, Garcia, Miller, Davis, Rodriguez, "
        "Martinez, Wilson, Anderson, Taylor, Thomas, Moore, Jackson, Martin, Lee, "
        "Thompson, White, Harris, Clark, Lewis, Walker, Hall, Young, King, Wright, "
        "Scott, Green, Baker, Adams, Nelson, Hill, Campbell, Mitchell, Roberts, Evans, "
        "Turner, Patel, Khan, Nguyen, O'Brien, MacDonald"
    ),
    "de": _pool(
        "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, "
        "Hoffmann, Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, "
        "Schwarz, Zimmermann"
    ),
    "fr": _pool(
        "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, "
        "Simon, Laurent, Lefèvre, Michel, Garcia, David, Bertrand, Roux, Vincent, "
        "Fournier"
    ),
    "nl": _pool(
        "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, "
        "Smit, Meijer, de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, "
        "van Leeuwen, Dekker, Brouwer"
    ),
    "ja": _pool(
        "Sato, Suzuki, Takahashi, Tanaka, Watanabe, Ito, Yamamoto, Nakamura, Kobayashi, "
        "Kato, Yoshida, Yamada, Sasaki, Yamaguchi, Matsumoto, Inoue, Kimura, Hayashi, "
        "Shimizu, Mori"
    ),
}

FREE_MAIL_GLOBAL: tuple[str, ...] = _pool(
    "gmail.com, gmail.com, gmail.com, outlook.com, yahoo.com, hotmail.com, icloud.com, proton.me"
)
FREE_MAIL_LOCAL: dict[str, tuple[str, ...]] = {
    "US": ("aol.com", "comcast.net"),
    "GB": ("btinternet.com", "yahoo.co.uk"),
    "DE": ("gmx.de", "web.de", "t-online.de"),
    "FR": ("orange.fr", "free.fr", "laposte.net"),
    "NL": ("ziggo.nl", "kpnmail.nl"),
    "JP": ("yahoo.co.jp", "docomo.ne.jp"),
    "AU": ("bigpond.com", "optusnet.com.au"),
    "CA": ("rogers.com", "shaw.ca"),
}
# Employers of people who are not in a B2B account but sign up with a work address.
WORK_DOMAINS: tuple[str, ...] = _pool(
    "globex.com, initech.com, contoso.com, hooli.com, vandelay.com, "
    "umbrella-corp.com, soylent.co, cyberdyne.io, wonka-industries.com, tyrell.com, "
    "massive-dynamic.com, gringotts.co.uk, oscorp.com, aperture-labs.com"
)

COMPANY_PREFIX: tuple[str, ...] = _pool(
    "North, Blue, Bright, Silver, Green, Red, Summit, Pioneer, Atlas, Nova, Vertex, "
    "Harbor, Cedar, Iron, Maple, Sun, Stone, River, Falcon, Orbit"
)
COMPANY_SUFFIX: tuple[str, ...] = _pool(
    "Logistics, Foods, Analytics, Systems, Health, Media, Labs, Retail, Energy, "
    "Works, Capital, Studios, Motors, Robotics, Textiles"
)
LEGAL_FORM: dict[str, str] = {
    "US": "Inc.",
    "GB": "Ltd",
    "DE": "GmbH",
    "FR": "SAS",
    "NL": "B.V.",
    "JP": "K.K.",
    "AU": "Pty Ltd",
    "CA": "Inc.",
}
COMPANY_TLD: dict[str, str] = {
    "US": "com",
    "GB": "co.uk",
    "DE": "de",
    "FR": "fr",
    "NL": "nl",
    "JP": "co.jp",
    "AU": "com.au",
    "CA": "ca",
}
INDUSTRIES: tuple[str, ...] = _pool(
    "Technology, Retail, Manufacturing, Healthcare, Finance, Media, Logistics, "
    "Education, Hospitality, Energy"
)

_FOLD = str.maketrans(
    dict(
        pair.split("=")
        for pair in _pool(
            "ä=ae, ö=oe, ü=ue, ß=ss, é=e, è=e, ê=e, ë=e, à=a, â=a, ç=c, î=i, ï=i, ô=o"
        )
        + _pool("û=u, ù=u, É=e, È=e")
    )
)


def ascii_token(name: str) -> str:
    """`name` folded to the lower-case ASCII letters an e-mail local part may carry."""
    return re.sub(r"[^a-z]", "", name.translate(_FOLD).lower())
