"""`{% select %}` draws the fast select widget where there is no form (apps/core/templatetags/selects.py)."""

from django.template import Context, Template


def test_the_select_tag_marks_the_chosen_value_and_escapes_values_and_labels():
    template = Template('{% load selects %}{% select "unit" units chosen "— all —" %}')
    units = [(1, "江北园"), (12, "研创园"), ('2"><x', "<b>部</b>")]
    html = template.render(Context({"units": units, "chosen": 12}))
    assert html == (
        '<select name="unit"><option value="">— all —</option><option value="1">江北园</option>'
        '<option value="12" selected>研创园</option>'
        '<option value="2&quot;&gt;&lt;x">&lt;b&gt;部&lt;/b&gt;</option></select>'
    )
    nothing = template.render(Context({"units": units, "chosen": None}))
    assert " selected" not in nothing.replace('<option value="" selected>', "")
