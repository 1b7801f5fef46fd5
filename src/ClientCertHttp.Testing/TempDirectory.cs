namespace ClientCertHttp.Testing;

/// <summary>
/// A uniquely named folder under <see cref="System.IO.Path.GetTempPath"/> that is deleted, with its content, on dispose.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates a new empty folder named <c>clientcerthttp-*</c> in the temporary folder.</summary>
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("clientcerthttp-").FullName;
    }

    /// <summary>The full path of the folder.</summary>
    public string Path { get; }

    /// <summary>Combines <see cref="Path"/> with the given relative parts.</summary>
    /// <param name="parts">Path segments below the folder.</param>
    /// <returns>The combined full path (nothing is created on disk).</returns>
    public string Combine(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return System.IO.Path.Combine([Path, .. parts]);
    }

    /// <summary>Deletes the folder recursively; I/O failures are ignored.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Already gone or still in use: nothing useful to do in a test clean-up.
        }
        catch (UnauthorizedAccessException)
        {
            // A test made a file read-only or similar: leave it to the OS temp clean-up.
        }
    }
}
