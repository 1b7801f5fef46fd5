namespace ClientCertHttp.Certificates;

/// <summary>The kinds of certificate source, and which of them a client's options configure.</summary>
internal enum CertificateSourceKind
{
    File,
    Store,
    Inline,
    Directory,
    CredentialBundle,
    Provider,

    /// <summary>No certificate of the client's own: a per-identity client whose every request names an identity.</summary>
    None,
}

internal static class CertificateSources
{
    /// <summary>
    /// Lists the configured sources with the setting that selects each one, so that "exactly one source" can be
    /// checked and a conflict can name both settings.
    /// </summary>
    public static List<(CertificateSourceKind Kind, string Setting)> Configured(ClientCertificateOptions? options, int providerCount)
    {
        var sources = new List<(CertificateSourceKind, string)>();
        if (options is not null)
        {
            if (!string.IsNullOrWhiteSpace(options.Path))
            {
                sources.Add((CertificateSourceKind.File, "Certificate:Path"));
            }

            if (!string.IsNullOrWhiteSpace(options.Store) || !string.IsNullOrWhiteSpace(options.Subject))
            {
                sources.Add((CertificateSourceKind.Store, string.IsNullOrWhiteSpace(options.Store) ? "Certificate:Subject" : "Certificate:Store"));
            }

            if (!string.IsNullOrWhiteSpace(options.Base64))
            {
                sources.Add((CertificateSourceKind.Inline, "Certificate:Base64"));
            }

            if (!string.IsNullOrWhiteSpace(options.Directory))
            {
                sources.Add((CertificateSourceKind.Directory, "Certificate:Directory"));
            }

            if (!string.IsNullOrWhiteSpace(options.CredentialBundlePath))
            {
                sources.Add((CertificateSourceKind.CredentialBundle, "Certificate:CredentialBundlePath"));
            }
        }

        for (var i = 0; i < providerCount; i++)
        {
            sources.Add((CertificateSourceKind.Provider, "AddCertificateProvider"));
        }

        return sources;
    }
}
