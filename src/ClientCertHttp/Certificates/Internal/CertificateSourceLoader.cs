namespace ClientCertHttp.Certificates;

/// <summary>Loads a client's certificate from the one source its options configure.</summary>
internal static class CertificateSourceLoader
{
    public static LoadedClientCertificate Load(CertificateLoadContext context, CertificateSourceKind kind) => kind switch
    {
        CertificateSourceKind.File when !string.IsNullOrWhiteSpace(context.Options.KeyPath) => PemCertificateLoader.LoadFiles(context),
        CertificateSourceKind.File => Pkcs12CertificateLoader.Load(context),
        CertificateSourceKind.Store => StoreCertificateLoader.Load(context),
        CertificateSourceKind.Inline => InlineCertificateLoader.Load(context),
        CertificateSourceKind.Directory => DirectoryCertificateLoader.Load(context),
        CertificateSourceKind.Provider => ProviderCertificateLoader.Load(context),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Checks the chosen certificate and builds the TLS context; disposes <paramref name="owned"/> on failure.</summary>
    public static LoadedClientCertificate Complete(
        CertificateLoadContext context,
        string source,
        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection owned)
    {
        try
        {
            var problems = new List<ClientCertificateException>();
            ClientCertificateInspector.Inspect(context.Names, source, certificate, context.Now, problems);
            if (problems.Count > 0 && !context.ReportOnly)
            {
                throw ClientCertificateException.Combine(context.ClientName, problems);
            }

            var result = new LoadedClientCertificate(certificate, owned, source);
            owned = null!;
            return result;
        }
        finally
        {
            DisposeAll(owned);
        }
    }

    public static void DisposeAll(IEnumerable<System.Security.Cryptography.X509Certificates.X509Certificate2>? certificates)
    {
        foreach (var certificate in certificates ?? [])
        {
            certificate?.Dispose();
        }
    }
}
