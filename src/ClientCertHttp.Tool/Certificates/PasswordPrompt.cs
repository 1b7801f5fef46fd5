using System.Text;

namespace ClientCertHttp.Tool.Certificates;

/// <summary>Reads a password from the terminal without echoing it. Passwords never come from the command line.</summary>
internal static class PasswordPrompt
{
    public static bool CanPrompt => !Console.IsInputRedirected && !Console.IsErrorRedirected;

    public static string Read(TextWriter prompt, string text)
    {
        prompt.Write(text);
        var password = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0)
                {
                    password.Length--;
                }

                continue;
            }

            if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }

        prompt.WriteLine();
        return password.ToString();
    }
}
