"""allauth's pages speak Rally's Spanish: "tú", never allauth's "usted" (volunteers/account_text.py
marks allauth's msgids so that Rally's catalogue, read first, translates them)."""

import re

import pytest

pytestmark = pytest.mark.django_db

# Words of allauth's (and Django's password rules') "usted" Spanish.
FORMAL = ("Por favor", "olvidado su", " su ", "Su contraseña", "Introduzca", "Ingrese",
          "regístrese", "inicie sesión", "¿Ya tiene una cuenta?", "Si aún no ha creado",
          "contáctenos", "Le hemos enviado")


def main_text(client, path: str) -> str:
    client.cookies["django_language"] = "es"
    response = client.get(path)
    assert response.status_code == 200
    main = re.search(r"<main\b.*?</main>", response.content.decode(), re.S).group(0)
    return re.sub(r"\s+", " ", main)


def assert_no_usted(text: str) -> None:
    assert [word for word in FORMAL if word in text] == []


def test_login_page_says_tu_in_spanish(client):
    text = main_text(client, "/accounts/login/")

    assert "¿Olvidaste tu contraseña?" in text
    assert "Si todavía no tienes cuenta, primero" in text
    assert "inscríbete" in text
    assert_no_usted(text)


def test_signup_page_says_tu_in_spanish(client):
    text = main_text(client, "/accounts/signup/")

    assert "¿Ya tienes cuenta? Entonces" in text
    assert "inicia sesión" in text
    assert "Tu contraseña debe tener al menos 10 caracteres." in text
    assert "Contraseña (otra vez)" in text
    assert_no_usted(text)


def test_password_reset_page_says_tu_in_spanish(client):
    text = main_text(client, "/accounts/password/reset/")

    assert "¿Olvidaste tu contraseña? Escribe tu correo electrónico" in text
    assert "Restablecer mi contraseña" in text
    assert "comunícate con nosotros" in text
    assert_no_usted(text)


def test_password_reset_done_page_says_tu_in_spanish(client):
    text = main_text(client, "/accounts/password/reset/done/")

    assert "Te enviamos un correo." in text
    assert_no_usted(text)
