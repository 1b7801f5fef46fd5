namespace ClientCertHttp.Diagnostics;

/// <summary>How a URI is written into logs and messages: never its user information, query or fragment, which may carry secrets.</summary>
internal static class LoggedUri
{
    /// <summary>Gets scheme, host, port and path of <paramref name="uri"/> (a relative URI: its path).</summary>
    public static string? Describe(Uri? uri)
    {
        if (uri is null)
        {
            return null;
        }

        if (uri.IsAbsoluteUri)
        {
            return uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        }

        var text = uri.OriginalString;
        var end = text.AsSpan().IndexOfAny('?', '#');
        return end < 0 ? text : text[..end];
    }
}
