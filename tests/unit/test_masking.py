"""Masking: secrets revealed only for drivers, masked in everything that is logged."""

import json

from robot.api.types import Secret

from Seamline.engine.context import SeamContext
from Seamline.engine.masking import CUT_MARGIN, MASK, Masker, is_secret, is_secret_name, mask_url_passwords
from Seamline.keywords.base import SeamKeywords


def test_secret_is_recognised_without_importing_robot_in_the_engine():
    assert is_secret(Secret("x"))
    assert not is_secret("x")


def test_reveal_unwraps_and_remembers_the_secret_for_masking():
    masker = Masker()
    assert masker.reveal(Secret("hunter22")) == "hunter22"
    assert masker.text("login with hunter22 failed") == f"login with {MASK} failed"


def test_plain_values_pass_reveal_unchanged():
    masker = Masker()
    assert masker.reveal("plain") == "plain"
    assert masker.text("plain text") == "plain text"


def test_url_quoted_form_of_a_known_secret_is_masked():
    masker = Masker()
    masker.register("p@ss word")
    assert "p%40ss%20word" not in masker.text("https://u:p%40ss%20word@host/")
    assert "p%40ss+word" not in masker.text("q=p%40ss+word")


def test_basic_auth_token_is_masked_in_free_text():
    masker = Masker()
    masker.register_basic_auth("bob", "hunter22")
    assert masker.text('"Authorization": "Basic Ym9iOmh1bnRlcjIy"').count("Ym9iOmh1bnRlcjIy") == 0


def test_url_password_is_masked_even_when_never_registered():
    masker = Masker()
    assert masker.url("postgresql://app:s3cret@db:5432/orders") == f"postgresql://app:{MASK}@db:5432/orders"
    assert (
        masker.text("connect mysql://root:toor@127.0.0.1/test now") == f"connect mysql://root:{MASK}@127.0.0.1/test now"
    )


def test_reveal_url_remembers_the_password():
    masker = Masker()
    assert masker.reveal_url(Secret("amqp://guest:rabbit-pw@host/")) == "amqp://guest:rabbit-pw@host/"
    assert masker.text("auth failed for rabbit-pw") == f"auth failed for {MASK}"


def test_credential_headers_are_masked_by_name():
    masker = Masker()
    masked = masker.headers({"Authorization": "Bearer abc.def", "X-Api-Key": "k-123", "Accept": "application/json"})
    assert masked == {"Authorization": MASK, "X-Api-Key": MASK, "Accept": "application/json"}


def test_credential_header_lines_in_text_are_masked():
    masker = Masker()
    assert masker.text("Cookie: session=abc123\nAccept: */*") == f"Cookie: {MASK}\nAccept: */*"


def test_nested_json_fields_are_masked_by_name():
    masker = Masker()
    data = {"user": "bob", "auth": {"password": "pw-1", "api_key": "k-2"}, "items": [{"access_token": "t-3"}]}
    assert masker.data(data) == {
        "user": "bob",
        "auth": {"password": MASK, "api_key": MASK},
        "items": [{"access_token": MASK}],
    }


def test_secret_fields_in_serialised_json_text_are_masked():
    masker = Masker()
    assert masker.text('{"user": "bob", "password": "pw-1"}') == f'{{"user": "bob", "password": "{MASK}"}}'


def test_credential_query_parameters_are_masked():
    masker = Masker()
    assert masker.text("GET /x?user=bob&token=abc123&page=2") == f"GET /x?user=bob&token={MASK}&page=2"


def test_reveal_deep_unwraps_nested_secrets_and_registers_them():
    masker = Masker()
    body = {"user": "bob", "credentials": [{"password": Secret("deep-secret")}]}
    assert masker.reveal_deep(body) == {"user": "bob", "credentials": [{"password": "deep-secret"}]}
    assert "deep-secret" not in masker.text("echo: deep-secret")


def test_secret_values_are_masked_wherever_they_appear_in_data():
    masker = Masker()
    assert masker.data({"note": Secret("x-secret")}) == {"note": MASK}
    assert masker.text(Secret("x-secret")) == MASK


def test_very_short_secrets_are_not_searched_in_free_text():
    masker = Masker()
    masker.register("a")
    assert masker.text("a banana") == "a banana"


def test_secret_names():
    assert is_secret_name("Proxy-Authorization")
    assert is_secret_name("db_password")
    assert is_secret_name("refreshToken")
    assert not is_secret_name("correlation_id")


def test_url_passwords_are_masked_without_a_scheme_check():
    assert mask_url_passwords("a://u:pw@h b://v:pw2@i") == f"a://u:{MASK}@h b://v:{MASK}@i"
    assert mask_url_passwords("http://host:8080/path@x") == "http://host:8080/path@x"


def test_a_password_made_of_letters_is_masked_as_a_word_not_inside_longer_words():
    masker = Masker()
    masker.reveal_url("amqp://guest:guest@127.0.0.1:5672/%2F")
    assert (
        masker.text("Connected to amqp://guest:guest@127.0.0.1:5672/")
        == f"Connected to amqp://{MASK}:{MASK}@127.0.0.1:5672/"
    )
    assert masker.text("user guest, guest1, %20guest") == f"user {MASK}, {MASK}1, %20{MASK}"
    assert masker.text("Guests stay in the guesthouse") == "Guests stay in the guesthouse"


def test_a_password_with_digits_or_symbols_is_masked_wherever_it_appears():
    masker = Masker()
    masker.register("hunter22")
    assert masker.text("xhunter22y hunter22hunter22") == f"x{MASK}y {MASK}{MASK}"


def test_of_two_known_secrets_starting_at_one_place_the_longer_is_masked_whole():
    masker = Masker()
    masker.register("abc-1", "abc-123", "abd-9", "x.y*z")
    assert masker.text("abc-1234 abc-1 abd-9 x.y*z xAy*z") == f"{MASK}4 {MASK} {MASK} {MASK} xAy*z"


def test_many_secrets_sharing_long_prefixes_are_all_masked():
    masker = Masker()
    secrets = [f"9{'a' * length}" for length in range(3, 250)]
    masker.register(*secrets)
    for secret in (secrets[0], secrets[100], secrets[-1]):
        assert masker.text(f"<{secret}>") == f"<{MASK}>"


def test_header_line_with_any_spelling_of_the_name_is_masked():
    masker = Masker()
    assert masker.text("X_API_KEY = k-1\nx api key: k-2") == f"X_API_KEY = {MASK}\nx api key: {MASK}"


def test_api_key_field_with_a_dash_in_json_text_is_masked():
    assert Masker().text('{"api-key": "k-1"}') == f'{{"api-key": "{MASK}"}}'


def test_json_held_in_a_json_string_has_its_secret_fields_masked():
    masker = Masker()
    nested = json.dumps({"body": json.dumps({"password": 'pw"1', "user": "bob"})})
    masked = masker.text(nested)
    assert "pw" not in masked
    assert json.loads(json.loads(masked)["body"]) == {"password": MASK, "user": "bob"}


def test_a_quote_of_the_other_kind_inside_a_value_does_not_end_it():
    assert Masker().text("{'password': \"it's-1\", 'a': 'b'}") == f"{{'password': \"{MASK}\", 'a': 'b'}}"


def test_an_unterminated_secret_value_is_masked_to_the_end():
    assert Masker().text('{"token": "abc-12') == f'{{"token": "{MASK}'


def test_a_secret_word_inside_another_fields_value_is_still_found():
    assert Masker().text('"note": "use password: \'pw-1\'"') == f'"note": "use password: \'{MASK}\'"'


def test_robots_own_dictionary_format_is_masked_by_name():
    assert Masker().text("&{auth} = { user=bob | password=pw-1 }") == f"&{{auth}} = {{ user=bob | password={MASK} }}"


def test_added_names_mask_headers_fields_parameters_and_lines():
    masker = Masker()
    masker.add_names("X-Custom-Auth, session_ref")
    assert masker.headers({"x-custom-auth": "v-1", "Accept": "*/*"}) == {"x-custom-auth": MASK, "Accept": "*/*"}
    assert masker.data({"Session-Ref": "v-2", "session_reference": "kept"}) == {
        "Session-Ref": MASK,
        "session_reference": "kept",
    }
    assert masker.text("X-Custom-Auth: v-3\nAccept: */*") == f"X-Custom-Auth: {MASK}\nAccept: */*"
    assert masker.text('{"session_ref": "v-4"}') == f'{{"session_ref": "{MASK}"}}'
    # As with the built-in header names, what follows `name=` is masked to the end of the line.
    assert masker.text("GET /x?session_ref=v-5&page=2") == f"GET /x?session_ref={MASK}"
    assert masker.is_secret_name("SESSION REF")
    assert not is_secret_name("session_ref")  # the built-in rule alone does not know it


def test_added_names_can_be_a_list():
    masker = Masker()
    masker.add_names(["one_ref", "", "two_ref"])
    assert masker.text("one_ref=a\ntwo_ref=b") == f"one_ref={MASK}\ntwo_ref={MASK}"


def test_preview_of_a_short_text_is_masked_whole():
    masker = Masker()
    masker.register("pw-12345")
    assert masker.preview("login pw-12345", 100) == f"login {MASK}"
    assert masker.preview("login pw-12345", 0) == f"login {MASK}"
    assert masker.preview(Secret("pw-12345"), 100) == MASK


def test_preview_cuts_and_counts_what_it_left_out():
    text = "x" * 5000
    assert Masker().preview(text, 100) == "x" * 100 + "… [4900 more characters]"


def test_a_known_secret_split_by_the_cut_is_not_revealed():
    secret = "straddling-secret-0042"
    masker = Masker()
    masker.register(secret)
    for before in range(90, 101):
        text = "a" * before + secret + "b" * (CUT_MARGIN * 3)
        shown = masker.preview(text, 100)
        assert not any(secret[:length] in shown for length in range(4, len(secret) + 1)), before


def test_a_credential_value_split_by_the_cut_is_not_revealed():
    masker = Masker()
    for value_length in (10, 500, CUT_MARGIN * 2):
        text = '{"pad": "' + "p" * 90 + '", "password": "' + "s" * value_length + '", "more": "' + "m" * 5000 + '"}'
        assert "sss" not in masker.preview(text, 120), value_length


def test_a_url_password_split_by_the_cut_is_not_revealed():
    text = "x" * 85 + "postgresql://app:pw-split-777@db/orders " + "y" * (CUT_MARGIN * 3)
    shown = Masker().preview(text, 110)
    assert "pw-" not in shown


class CountingMasker(Masker):
    """Counts the characters the text rules are run on."""

    def __init__(self):
        super().__init__()
        self.masked_characters = 0

    def text(self, text):
        self.masked_characters += len(str(text))
        return super().text(text)


def test_a_long_text_is_cut_before_it_is_masked():
    masker = CountingMasker()
    shown = masker.preview("token=abc " * 100_000, 2000)
    assert masker.masked_characters <= 2000 + 2 * CUT_MARGIN
    assert shown.startswith(f"token={MASK} token={MASK}")
    assert shown.endswith("more characters]")


def test_large_data_is_cut_before_it_is_masked():
    masker = CountingMasker()
    rows = [{"id": index, "password": f"pw-{index}", "note": "n" * 50} for index in range(20_000)]
    shown = masker.data_preview(rows, 2000)
    assert masker.masked_characters <= 2000 + 2 * CUT_MARGIN
    assert shown.startswith('[\n  {\n    "id": 0,\n    "password": "***"')
    assert "pw-" not in shown
    assert shown.endswith("more characters]")


def test_data_preview_shows_what_format_data_showed_before_the_cut():
    masker = Masker()
    masker.register("known-secret-1")
    data = {"user": "bob", "token": "t-1", "items": [{"note": "known-secret-1 inside"}] * 200, "n": 1.5}
    whole = json.dumps(masker.data(data), indent=2, ensure_ascii=False)
    assert (
        masker.data_preview(data, 300)
        == whole[:300] + f"… [{len(json.dumps(data, ensure_ascii=False)) - 300} more characters]"
    )
    assert masker.data_preview(data, 0) == whole
    assert masker.data_preview({"a": 1}, 300) == '{\n  "a": 1\n}'


def test_a_long_string_in_data_is_cut_before_it_is_masked():
    masker = CountingMasker()
    masker.register("s-secret-99")
    value = "v" * 1998 + "s-secret-99" + "w" * 1_000_000
    shown = masker.data_preview({"log": value}, 2000)
    assert masker.masked_characters <= 2000 + 3 * CUT_MARGIN
    assert "s-s" not in shown and "w" not in shown


def test_data_that_json_cannot_hold_is_shown_by_its_repr():
    masker = Masker()
    assert (
        masker.data_preview({(1, 2): "tuple key", "password": "x"}, 500) == "{(1, 2): 'tuple key', 'password': '***'}"
    )


def test_keyword_classes_cut_and_format_through_the_masker_at_the_body_log_limit():
    keywords = SeamKeywords(SeamContext(body_log_limit=40))
    keywords.masker.register("split-by-the-cut-77")
    text = "x" * 30 + "split-by-the-cut-77" + "y" * 5000
    assert keywords.cut(text) == "x" * 30 + f"{MASK}" + "y" * 7 + f"… [{len(text) - 40} more characters]"
    assert keywords.format_data({"password": "pw-1", "note": "n" * 100}).startswith(f'{{\n  "password": "{MASK}"')


def test_a_preview_of_text_that_is_mostly_secrets_still_shows_the_limit():
    masker = Masker()
    masker.register("known-secret-of-twenty-eight")
    shown = masker.preview("known-secret-of-twenty-eight " * 10_000, 100)
    assert shown.startswith(f"{MASK} {MASK} ")
    assert len(shown.split("…")[0]) == 100
