// The privacy center's behaviour; see account.html.
