Attribute VB_Name = "ArdeskRibbon"
' Ribbon callbacks of the ardesk add-in.
'
' Every button on the ardesk tab (customUI/customUI14.xml) has
' onAction=ArdeskRibbon.OnAction; the button's id names the desk step,
' and ardesk.excel.buttons.on_ribbon dispatches on it in Python.  The
' xlwings version of this add-in's xlwings module goes along, so Python
' refuses a click when the installed xlwings package is another one.
' RunPython is the one from the xlwings module of this add-in, which reads
' its settings from the ardesk.conf sheet and files (see xlwings.GetConfig).
Option Explicit

Public Sub OnAction(control As IRibbonControl)
    RunPython "import ardesk.excel.buttons; ardesk.excel.buttons.on_ribbon(" & PyStr(control.Id) & ", " _
        & PyStr(XLWINGS_VERSION) & ")"
End Sub

' Returns s as a Python string literal: letters, digits and underscores as
' they are, every other character as a \uXXXX escape, so no id can end the
' literal, inject code, or break the command line RunPython builds.
Private Function PyStr(ByVal s As String) As String
    Dim i As Long, c As String, out As String
    out = "'"
    For i = 1 To Len(s)
        c = Mid$(s, i, 1)
        If c Like "[A-Za-z0-9_]" Then
            out = out & c
        Else
            out = out & "\u" & Right$("000" & Hex$(AscW(c) And &HFFFF&), 4)
        End If
    Next i
    PyStr = out & "'"
End Function
