"""The one exception the engine raises for an expected failure at a seam."""


class SeamError(Exception):
    """An expected failure at a seam: the message is what a QA engineer reads in log.html.

    The keyword layer turns it into a Robot `Failure` without a traceback.
    `seam` names the boundary (``HTTP``, ``SQL``, ``SSH``, ``service orderflow``...).
    """

    def __init__(self, seam: str, message: str):
        super().__init__(f"{seam}: {message}")
        self.seam = seam
        self.detail = message
