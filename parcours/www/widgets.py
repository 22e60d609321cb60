from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe

# The browser's date picker, with the ISO value it expects (Django deep-copies widgets per field).
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FastOptionsMixin:
    """Renders a <select> and its <option>s in Python. Django renders each option through a template
    include (about 0.05 ms each), after copying its attributes: a form with several long lists
    (thématiques, languages) spent most of its page time there. Same markup as Django's templates:
    the widget's attributes, optgroups, selected options."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)  # type: ignore[attr-defined]
        if self.allow_multiple_selected:  # type: ignore[attr-defined]
            final_attrs["multiple"] = True
        selected = set(self.format_value(value))  # type: ignore[attr-defined]
        single = not self.allow_multiple_selected  # type: ignore[attr-defined]
        parts = [f'<select name="{escape(name)}"{flatatt(final_attrs)}>']

        def option(option_value, label) -> str:
            text = "" if option_value is None else str(option_value)
            mark = ""
            if text in selected:
                mark = " selected"
                if single:
                    selected.clear()  # a single select marks its first match only, as Django does
            return f'<option value="{escape(text)}"{mark}>{escape(label)}</option>'

        for option_value, label in self.choices:  # type: ignore[attr-defined]
            if isinstance(label, list | tuple):
                parts.append(f'<optgroup label="{escape(option_value)}">')
                parts.extend(option(sub_value, sub_label) for sub_value, sub_label in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(option_value, label))
        parts.append("</select>")
        return mark_safe("".join(parts))  # every value above is escaped


class FastSelect(FastOptionsMixin, forms.Select):
    pass


class FastSelectMultiple(FastOptionsMixin, forms.SelectMultiple):
    pass
