"""Masking: secrets revealed only for drivers, masked in everything that is logged."""

from robot.api.types import Secret

from Seamline.engine.masking import MASK, Masker, is_secret, is_secret_name


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
