from django import forms

# The browser's date picker, with the ISO value it expects (Django deep-copies widgets per field).
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
