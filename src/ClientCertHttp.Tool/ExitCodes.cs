namespace ClientCertHttp.Tool;

/// <summary>The process exit codes every command uses.</summary>
internal static class ExitCodes
{
    /// <summary>Everything worked and nothing needs attention.</summary>
    public const int Ok = 0;

    /// <summary>It worked, but there are warnings (or, for probe, the server answered an HTTP error status).</summary>
    public const int Warnings = 1;

    /// <summary>It failed: the certificate cannot be used, or the connection or handshake failed.</summary>
    public const int Errors = 2;
}
