"""`{{ sentence|nowrap_dates }}` (apps/core/templatetags/dates.py): the dates in a sentence made in Python
kept on one line, the rest of the sentence escaped as any variable is."""

from django.template import Context, Template


def render(text: str) -> str:
    return Template("{% load dates %}{{ text|nowrap_dates }}").render(Context({"text": text}))


def test_each_date_and_time_is_kept_whole():
    assert render("截至2024-03-15的本年度项目，2024-02 起，03-20 18:00 止；2024-03-15 17:10 受理") == (
        '截至<span class="nowrap">2024-03-15</span>的本年度项目，<span class="nowrap">2024-02</span> 起，'
        '03-20 18:00 止；<span class="nowrap">2024-03-15 17:10</span> 受理'
    )


def test_the_sentence_is_escaped():
    assert render('<script>alert("2024-01-01")</script>') == (
        '&lt;script&gt;alert(&quot;<span class="nowrap">2024-01-01</span>&quot;)&lt;/script&gt;'
    )


def test_autoescape_off_leaves_the_text_as_it_is():
    template = Template("{% load dates %}{% autoescape off %}{{ text|nowrap_dates }}{% endautoescape %}")
    assert (
        template.render(Context({"text": "<b>2024-01-01</b>"}))
        == '<b><span class="nowrap">2024-01-01</span></b>'
    )
