def parcours(request):
    return {"current_membership": getattr(request, "membership", None)}
