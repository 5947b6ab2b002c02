import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_visitor_sees_hotline_and_can_switch_to_spanish(phone):
    phone.goto("/")

    footer = phone.get_by_role("contentinfo")
    assert footer.get_by_role("link", name="1-888-373-7888").is_visible()
    phone.get_by_label("Language").select_option("es")
    phone.get_by_role("button", name="Change").click()

    assert phone.locator("html").get_attribute("lang") == "es"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
